// The flag bits each kernel function reads (see kernel/optimizers.wat): one bit per
// optional piece of the fused pass, so the loop tests an i32 instead of a scalar.

/** Flags of the SGD kernel. */
export const SgdFlag = { clip: 1, l2: 2, momentum: 4, first: 8, nesterov: 16 } as const;
/** Flags of the RMSProp kernel. */
export const RmspropFlag = { clip: 1, l2: 2, centered: 4, momentum: 8, epsInside: 16 } as const;
/** Flags of the Adam kernel. */
export const AdamFlag = { clip: 1, l2: 2, decoupled: 4, amsgrad: 8 } as const;
/** Flags of the Adamax kernel. */
export const AdamaxFlag = { clip: 1, l2: 2 } as const;
/** Flags of the NAdam kernel. */
export const NAdamFlag = { clip: 1, l2: 2, decoupled: 4 } as const;
/** Flags of the RAdam kernel: NAdam's, and whether the step is rectified. */
export const RAdamFlag = { ...NAdamFlag, rectified: 8 } as const;
