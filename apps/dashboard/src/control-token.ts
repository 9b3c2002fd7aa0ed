import { createHash, timingSafeEqual } from 'node:crypto';
import { ErrorCode } from '@adamflow/protocol';
import type { Client, ClientRegistry } from './client-registry.js';

/** Longest control token: the protocol's `token` field carries at most 256 characters. */
export const MAX_TOKEN_LENGTH = 256;

/** Why a command's token was refused: the `error` frame's code and text. */
export interface TokenRefusal {
  code: typeof ErrorCode.RATE_LIMITED | typeof ErrorCode.UNAUTHORIZED;
  message: string;
}

/**
 * The control token that commands must carry (viewing never needs it). Compared in
 * constant time on digests, and wrong guesses are charged to the remote address in
 * the {@link ClientRegistry}, across reconnects: past its budget an address gets no
 * verdict at all.
 *
 * @example
 * ```ts
 * const token = new ControlToken('s3cret');
 * const refusal = token.verify(message.token, client, registry);
 * if (refusal) registry.send(client, { type: 'error', ...refusal, id });
 * ```
 */
export class ControlToken {
  private readonly digest: Buffer | undefined;

  /**
   * @param token - the token; undefined or '' means commands need none.
   * @throws RangeError when it is longer than {@link MAX_TOKEN_LENGTH} characters.
   */
  constructor(token: string | undefined) {
    this.digest = digestOf(checkToken(token));
  }

  /** Whether commands need a token at all. */
  get required(): boolean {
    return this.digest !== undefined;
  }

  /** @returns undefined when `token` may command, else why not. */
  verify(
    token: string | undefined,
    client: Client,
    registry: Pick<ClientRegistry, 'mayCheckToken' | 'tokenFailed'>,
  ): TokenRefusal | undefined {
    if (this.digest === undefined) return undefined;
    // Past its budget of wrong guesses an address gets no verdict at all, so
    // reconnecting does not buy more guesses.
    if (!registry.mayCheckToken(client.address)) {
      return {
        code: ErrorCode.RATE_LIMITED,
        message: 'too many wrong control tokens from this address; wait a few seconds',
      };
    }
    if (token === undefined || !timingSafeEqual(digest(token), this.digest)) {
      registry.tokenFailed(client.address);
      return {
        code: ErrorCode.UNAUTHORIZED,
        message: 'commands need the control token: send it as "token"',
      };
    }
    return undefined;
  }
}

/** The control token, checked: at most {@link MAX_TOKEN_LENGTH} characters; '' means none. */
function checkToken(token: string | undefined): string | undefined {
  if (token === undefined || token === '') return undefined;
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) {
    throw new RangeError(
      `token must be 1 to ${MAX_TOKEN_LENGTH} characters (the protocol carries no more), got ${typeof token === 'string' ? token.length : typeof token}; choose a shorter token`,
    );
  }
  return token;
}

/** Hashes a token so the comparison takes the same time whatever its length. */
function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function digestOf(token: string | undefined): Buffer | undefined {
  return token === undefined ? undefined : digest(token);
}
