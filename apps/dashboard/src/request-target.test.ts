import { describe, expect, it } from 'vitest';
import { MAX_TARGET_LENGTH, parseRequestTarget } from './request-target.js';

describe('parseRequestTarget', () => {
  it.each([
    ['/', '/'],
    ['/ws', '/ws'],
    ['/ws?token=1', '/ws'],
    ['/assets/index.js#x', '/assets/index.js'],
    ['/a%20b', '/a b'],
    ['/%e2%82%ac', '/€'],
    ['http://127.0.0.1:8080/healthz?x', '/healthz'],
    ['HTTP://LOCALHOST', '/'],
    ['http://[::1]:8080?x', '/'],
  ])('reads %j as %j', (target, path) => {
    expect(parseRequestTarget(target)).toEqual({ ok: true, path });
  });

  it.each([
    [undefined],
    [''],
    ['*'],
    ['%ff'],
    ['/%ff'],
    ['/%'],
    ['/%zz'],
    ['/%c0%af'],
    ['//'],
    ['//evil.example/x'],
    ['/\\'],
    ['/a\\b'],
    ['/%5c'],
    ['/%00'],
    ['http://[::1'],
    ['ftp://x/y'],
    ['http://host@evil/x'],
    ['http://ho st/'],
  ])('refuses %j with 400, never throwing', (target) => {
    const result = parseRequestTarget(target);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.status).toBe(400);
  });

  it('refuses targets over the length limit with 414', () => {
    expect(parseRequestTarget(`/${'a'.repeat(MAX_TARGET_LENGTH)}`)).toMatchObject({
      ok: false,
      status: 414,
    });
    expect(parseRequestTarget(`/${'a'.repeat(MAX_TARGET_LENGTH - 1)}`).ok).toBe(true);
  });
});
