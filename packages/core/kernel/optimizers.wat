;; The fused per-element steps of @adamflow/core's optimizers (Adam and AdamW with
;; AMSGrad, SGD, RMSProp), plus the gradient's finite check and sum of squares, in
;; WebAssembly SIMD (f32x4 and f64x2).
;;
;; Each step runs the same operations in the same order as its JavaScript loop
;; (src/adam.ts, src/sgd.ts, src/rmsprop.ts), with no fused multiply-add, so the f64
;; kernel is bitwise identical to the JS path. Adam multiplies by 1 / sqrt(1 - beta2^t),
;; computed once per step, where PyTorch divides by sqrt(1 - beta2^t): one division
;; fewer per element (the step is bound by division and square-root throughput), at
;; most an ulp apart.
;;
;; Every function takes byte offsets into one memory: the parameters, the gradient and
;; the optimizer's own state buffers (each optimizer names its regions in src/kernel.ts),
;; and a byte count. Regions are padded to whole groups of four vectors (64 bytes),
;; zero-filled, so there is no scalar tail.
;; Compiled to src/kernel-binary.ts by scripts/build-kernel.mjs.
(module
  (import "env" "memory" (memory 1))

  ;; Adam (src/adam.ts). Regions: p params, m first moment, v second moment, vmax
  ;; AMSGrad's running maximum, g gradient.
  ;; flags: 1 clip by value, 2 L2 weight decay, 4 decoupled decay (AdamW), 8 AMSGrad.
  (func (export "adam_f32")
    (param $p i32) (param $m i32) (param $v i32) (param $vmax i32) (param $g i32) (param $bytes i32)
    (param $flags i32) (param $scale f64) (param $bound f64) (param $sign f64) (param $decay f64)
    (param $l2 f64) (param $beta1 f64) (param $omb1 f64) (param $beta2 f64) (param $omb2 f64)
    (param $stepSize f64) (param $invBias2Sqrt f64) (param $eps f64)
    (local $i i32)
    (local $vscale v128) (local $vbound v128) (local $vnbound v128) (local $vsign v128)
    (local $vdecay v128) (local $vl2 v128) (local $vb1 v128) (local $vomb1 v128) (local $vb2 v128)
    (local $vomb2 v128) (local $vstep v128) (local $vbias v128) (local $veps v128)
    (local $gv v128) (local $pv v128) (local $mv v128) (local $vv v128) (local $hv v128)
    (local.set $vscale (f32x4.splat (f32.demote_f64 (local.get $scale))))
    (local.set $vbound (f32x4.splat (f32.demote_f64 (local.get $bound))))
    (local.set $vnbound (f32x4.neg (local.get $vbound)))
    (local.set $vsign (f32x4.splat (f32.demote_f64 (local.get $sign))))
    (local.set $vdecay (f32x4.splat (f32.demote_f64 (local.get $decay))))
    (local.set $vl2 (f32x4.splat (f32.demote_f64 (local.get $l2))))
    (local.set $vb1 (f32x4.splat (f32.demote_f64 (local.get $beta1))))
    (local.set $vomb1 (f32x4.splat (f32.demote_f64 (local.get $omb1))))
    (local.set $vb2 (f32x4.splat (f32.demote_f64 (local.get $beta2))))
    (local.set $vomb2 (f32x4.splat (f32.demote_f64 (local.get $omb2))))
    (local.set $vstep (f32x4.splat (f32.demote_f64 (local.get $stepSize))))
    (local.set $vbias (f32x4.splat (f32.demote_f64 (local.get $invBias2Sqrt))))
    (local.set $veps (f32x4.splat (f32.demote_f64 (local.get $eps))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $bytes)))
        (local.set $gv (f32x4.mul (v128.load (i32.add (local.get $g) (local.get $i))) (local.get $vscale)))
        (if (i32.and (local.get $flags) (i32.const 1))
          (then (local.set $gv (f32x4.min (f32x4.max (local.get $gv) (local.get $vnbound)) (local.get $vbound)))))
        (local.set $gv (f32x4.mul (local.get $gv) (local.get $vsign)))
        (local.set $pv (v128.load (i32.add (local.get $p) (local.get $i))))
        (if (i32.and (local.get $flags) (i32.const 4))
          (then (local.set $pv (f32x4.mul (local.get $pv) (local.get $vdecay)))))
        (if (i32.and (local.get $flags) (i32.const 2))
          (then (local.set $gv (f32x4.add (local.get $gv) (f32x4.mul (local.get $vl2) (local.get $pv))))))
        (local.set $mv (f32x4.add
          (f32x4.mul (local.get $vb1) (v128.load (i32.add (local.get $m) (local.get $i))))
          (f32x4.mul (local.get $vomb1) (local.get $gv))))
        (local.set $vv (f32x4.add
          (f32x4.mul (local.get $vb2) (v128.load (i32.add (local.get $v) (local.get $i))))
          (f32x4.mul (f32x4.mul (local.get $vomb2) (local.get $gv)) (local.get $gv))))
        (v128.store (i32.add (local.get $m) (local.get $i)) (local.get $mv))
        (v128.store (i32.add (local.get $v) (local.get $i)) (local.get $vv))
        (local.set $hv (local.get $vv))
        (if (i32.and (local.get $flags) (i32.const 8))
          (then
            (local.set $hv (f32x4.max (v128.load (i32.add (local.get $vmax) (local.get $i))) (local.get $vv)))
            (v128.store (i32.add (local.get $vmax) (local.get $i)) (local.get $hv))))
        (v128.store (i32.add (local.get $p) (local.get $i))
          (f32x4.sub (local.get $pv)
            (f32x4.div
              (f32x4.mul (local.get $vstep) (local.get $mv))
              (f32x4.add (f32x4.mul (f32x4.sqrt (local.get $hv)) (local.get $vbias)) (local.get $veps)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next))))

  (func (export "adam_f64")
    (param $p i32) (param $m i32) (param $v i32) (param $vmax i32) (param $g i32) (param $bytes i32)
    (param $flags i32) (param $scale f64) (param $bound f64) (param $sign f64) (param $decay f64)
    (param $l2 f64) (param $beta1 f64) (param $omb1 f64) (param $beta2 f64) (param $omb2 f64)
    (param $stepSize f64) (param $invBias2Sqrt f64) (param $eps f64)
    (local $i i32)
    (local $vscale v128) (local $vbound v128) (local $vnbound v128) (local $vsign v128)
    (local $vdecay v128) (local $vl2 v128) (local $vb1 v128) (local $vomb1 v128) (local $vb2 v128)
    (local $vomb2 v128) (local $vstep v128) (local $vbias v128) (local $veps v128)
    (local $gv v128) (local $pv v128) (local $mv v128) (local $vv v128) (local $hv v128)
    (local.set $vscale (f64x2.splat (local.get $scale)))
    (local.set $vbound (f64x2.splat (local.get $bound)))
    (local.set $vnbound (f64x2.neg (local.get $vbound)))
    (local.set $vsign (f64x2.splat (local.get $sign)))
    (local.set $vdecay (f64x2.splat (local.get $decay)))
    (local.set $vl2 (f64x2.splat (local.get $l2)))
    (local.set $vb1 (f64x2.splat (local.get $beta1)))
    (local.set $vomb1 (f64x2.splat (local.get $omb1)))
    (local.set $vb2 (f64x2.splat (local.get $beta2)))
    (local.set $vomb2 (f64x2.splat (local.get $omb2)))
    (local.set $vstep (f64x2.splat (local.get $stepSize)))
    (local.set $vbias (f64x2.splat (local.get $invBias2Sqrt)))
    (local.set $veps (f64x2.splat (local.get $eps)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $bytes)))
        (local.set $gv (f64x2.mul (v128.load (i32.add (local.get $g) (local.get $i))) (local.get $vscale)))
        (if (i32.and (local.get $flags) (i32.const 1))
          (then (local.set $gv (f64x2.min (f64x2.max (local.get $gv) (local.get $vnbound)) (local.get $vbound)))))
        (local.set $gv (f64x2.mul (local.get $gv) (local.get $vsign)))
        (local.set $pv (v128.load (i32.add (local.get $p) (local.get $i))))
        (if (i32.and (local.get $flags) (i32.const 4))
          (then (local.set $pv (f64x2.mul (local.get $pv) (local.get $vdecay)))))
        (if (i32.and (local.get $flags) (i32.const 2))
          (then (local.set $gv (f64x2.add (local.get $gv) (f64x2.mul (local.get $vl2) (local.get $pv))))))
        (local.set $mv (f64x2.add
          (f64x2.mul (local.get $vb1) (v128.load (i32.add (local.get $m) (local.get $i))))
          (f64x2.mul (local.get $vomb1) (local.get $gv))))
        (local.set $vv (f64x2.add
          (f64x2.mul (local.get $vb2) (v128.load (i32.add (local.get $v) (local.get $i))))
          (f64x2.mul (f64x2.mul (local.get $vomb2) (local.get $gv)) (local.get $gv))))
        (v128.store (i32.add (local.get $m) (local.get $i)) (local.get $mv))
        (v128.store (i32.add (local.get $v) (local.get $i)) (local.get $vv))
        (local.set $hv (local.get $vv))
        (if (i32.and (local.get $flags) (i32.const 8))
          (then
            (local.set $hv (f64x2.max (v128.load (i32.add (local.get $vmax) (local.get $i))) (local.get $vv)))
            (v128.store (i32.add (local.get $vmax) (local.get $i)) (local.get $hv))))
        (v128.store (i32.add (local.get $p) (local.get $i))
          (f64x2.sub (local.get $pv)
            (f64x2.div
              (f64x2.mul (local.get $vstep) (local.get $mv))
              (f64x2.add (f64x2.mul (f64x2.sqrt (local.get $hv)) (local.get $vbias)) (local.get $veps)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next))))


  ;; The common case (no clipping, weight decay, AMSGrad or maximize; scale 1): the
  ;; same operations without the flag tests, four vectors per iteration (regions are
  ;; padded to 64 bytes). Unrolling lets the divisions of several vectors overlap:
  ;; ~40% faster than one vector per iteration under V8.
  (func (export "adam_plain_f32")
    (param $p i32) (param $m i32) (param $v i32) (param $g i32) (param $bytes i32)
    (param $beta1 f64) (param $omb1 f64) (param $beta2 f64) (param $omb2 f64)
    (param $stepSize f64) (param $invBias2Sqrt f64) (param $eps f64)
    (local $i i32)
    (local $vb1 v128) (local $vomb1 v128) (local $vb2 v128) (local $vomb2 v128)
    (local $vstep v128) (local $vbias v128) (local $veps v128)
    (local $gv v128) (local $mv v128) (local $vv v128)
    (local.set $vb1 (f32x4.splat (f32.demote_f64 (local.get $beta1))))
    (local.set $vomb1 (f32x4.splat (f32.demote_f64 (local.get $omb1))))
    (local.set $vb2 (f32x4.splat (f32.demote_f64 (local.get $beta2))))
    (local.set $vomb2 (f32x4.splat (f32.demote_f64 (local.get $omb2))))
    (local.set $vstep (f32x4.splat (f32.demote_f64 (local.get $stepSize))))
    (local.set $vbias (f32x4.splat (f32.demote_f64 (local.get $invBias2Sqrt))))
    (local.set $veps (f32x4.splat (f32.demote_f64 (local.get $eps))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $bytes)))
        (local.set $gv (v128.load offset=0 (i32.add (local.get $g) (local.get $i))))
        (local.set $mv (f32x4.add
          (f32x4.mul (local.get $vb1) (v128.load offset=0 (i32.add (local.get $m) (local.get $i))))
          (f32x4.mul (local.get $vomb1) (local.get $gv))))
        (local.set $vv (f32x4.add
          (f32x4.mul (local.get $vb2) (v128.load offset=0 (i32.add (local.get $v) (local.get $i))))
          (f32x4.mul (f32x4.mul (local.get $vomb2) (local.get $gv)) (local.get $gv))))
        (v128.store offset=0 (i32.add (local.get $m) (local.get $i)) (local.get $mv))
        (v128.store offset=0 (i32.add (local.get $v) (local.get $i)) (local.get $vv))
        (v128.store offset=0 (i32.add (local.get $p) (local.get $i))
          (f32x4.sub (v128.load offset=0 (i32.add (local.get $p) (local.get $i)))
            (f32x4.div
              (f32x4.mul (local.get $vstep) (local.get $mv))
              (f32x4.add (f32x4.mul (f32x4.sqrt (local.get $vv)) (local.get $vbias)) (local.get $veps)))))
        (local.set $gv (v128.load offset=16 (i32.add (local.get $g) (local.get $i))))
        (local.set $mv (f32x4.add
          (f32x4.mul (local.get $vb1) (v128.load offset=16 (i32.add (local.get $m) (local.get $i))))
          (f32x4.mul (local.get $vomb1) (local.get $gv))))
        (local.set $vv (f32x4.add
          (f32x4.mul (local.get $vb2) (v128.load offset=16 (i32.add (local.get $v) (local.get $i))))
          (f32x4.mul (f32x4.mul (local.get $vomb2) (local.get $gv)) (local.get $gv))))
        (v128.store offset=16 (i32.add (local.get $m) (local.get $i)) (local.get $mv))
        (v128.store offset=16 (i32.add (local.get $v) (local.get $i)) (local.get $vv))
        (v128.store offset=16 (i32.add (local.get $p) (local.get $i))
          (f32x4.sub (v128.load offset=16 (i32.add (local.get $p) (local.get $i)))
            (f32x4.div
              (f32x4.mul (local.get $vstep) (local.get $mv))
              (f32x4.add (f32x4.mul (f32x4.sqrt (local.get $vv)) (local.get $vbias)) (local.get $veps)))))
        (local.set $gv (v128.load offset=32 (i32.add (local.get $g) (local.get $i))))
        (local.set $mv (f32x4.add
          (f32x4.mul (local.get $vb1) (v128.load offset=32 (i32.add (local.get $m) (local.get $i))))
          (f32x4.mul (local.get $vomb1) (local.get $gv))))
        (local.set $vv (f32x4.add
          (f32x4.mul (local.get $vb2) (v128.load offset=32 (i32.add (local.get $v) (local.get $i))))
          (f32x4.mul (f32x4.mul (local.get $vomb2) (local.get $gv)) (local.get $gv))))
        (v128.store offset=32 (i32.add (local.get $m) (local.get $i)) (local.get $mv))
        (v128.store offset=32 (i32.add (local.get $v) (local.get $i)) (local.get $vv))
        (v128.store offset=32 (i32.add (local.get $p) (local.get $i))
          (f32x4.sub (v128.load offset=32 (i32.add (local.get $p) (local.get $i)))
            (f32x4.div
              (f32x4.mul (local.get $vstep) (local.get $mv))
              (f32x4.add (f32x4.mul (f32x4.sqrt (local.get $vv)) (local.get $vbias)) (local.get $veps)))))
        (local.set $gv (v128.load offset=48 (i32.add (local.get $g) (local.get $i))))
        (local.set $mv (f32x4.add
          (f32x4.mul (local.get $vb1) (v128.load offset=48 (i32.add (local.get $m) (local.get $i))))
          (f32x4.mul (local.get $vomb1) (local.get $gv))))
        (local.set $vv (f32x4.add
          (f32x4.mul (local.get $vb2) (v128.load offset=48 (i32.add (local.get $v) (local.get $i))))
          (f32x4.mul (f32x4.mul (local.get $vomb2) (local.get $gv)) (local.get $gv))))
        (v128.store offset=48 (i32.add (local.get $m) (local.get $i)) (local.get $mv))
        (v128.store offset=48 (i32.add (local.get $v) (local.get $i)) (local.get $vv))
        (v128.store offset=48 (i32.add (local.get $p) (local.get $i))
          (f32x4.sub (v128.load offset=48 (i32.add (local.get $p) (local.get $i)))
            (f32x4.div
              (f32x4.mul (local.get $vstep) (local.get $mv))
              (f32x4.add (f32x4.mul (f32x4.sqrt (local.get $vv)) (local.get $vbias)) (local.get $veps)))))
        (local.set $i (i32.add (local.get $i) (i32.const 64)))
        (br $next))))

  ;; The common case (no clipping, weight decay, AMSGrad or maximize; scale 1): the
  ;; same operations without the flag tests, four vectors per iteration (regions are
  ;; padded to 64 bytes). Unrolling lets the divisions of several vectors overlap:
  ;; ~40% faster than one vector per iteration under V8.
  (func (export "adam_plain_f64")
    (param $p i32) (param $m i32) (param $v i32) (param $g i32) (param $bytes i32)
    (param $beta1 f64) (param $omb1 f64) (param $beta2 f64) (param $omb2 f64)
    (param $stepSize f64) (param $invBias2Sqrt f64) (param $eps f64)
    (local $i i32)
    (local $vb1 v128) (local $vomb1 v128) (local $vb2 v128) (local $vomb2 v128)
    (local $vstep v128) (local $vbias v128) (local $veps v128)
    (local $gv v128) (local $mv v128) (local $vv v128)
    (local.set $vb1 (f64x2.splat (local.get $beta1)))
    (local.set $vomb1 (f64x2.splat (local.get $omb1)))
    (local.set $vb2 (f64x2.splat (local.get $beta2)))
    (local.set $vomb2 (f64x2.splat (local.get $omb2)))
    (local.set $vstep (f64x2.splat (local.get $stepSize)))
    (local.set $vbias (f64x2.splat (local.get $invBias2Sqrt)))
    (local.set $veps (f64x2.splat (local.get $eps)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $bytes)))
        (local.set $gv (v128.load offset=0 (i32.add (local.get $g) (local.get $i))))
        (local.set $mv (f64x2.add
          (f64x2.mul (local.get $vb1) (v128.load offset=0 (i32.add (local.get $m) (local.get $i))))
          (f64x2.mul (local.get $vomb1) (local.get $gv))))
        (local.set $vv (f64x2.add
          (f64x2.mul (local.get $vb2) (v128.load offset=0 (i32.add (local.get $v) (local.get $i))))
          (f64x2.mul (f64x2.mul (local.get $vomb2) (local.get $gv)) (local.get $gv))))
        (v128.store offset=0 (i32.add (local.get $m) (local.get $i)) (local.get $mv))
        (v128.store offset=0 (i32.add (local.get $v) (local.get $i)) (local.get $vv))
        (v128.store offset=0 (i32.add (local.get $p) (local.get $i))
          (f64x2.sub (v128.load offset=0 (i32.add (local.get $p) (local.get $i)))
            (f64x2.div
              (f64x2.mul (local.get $vstep) (local.get $mv))
              (f64x2.add (f64x2.mul (f64x2.sqrt (local.get $vv)) (local.get $vbias)) (local.get $veps)))))
        (local.set $gv (v128.load offset=16 (i32.add (local.get $g) (local.get $i))))
        (local.set $mv (f64x2.add
          (f64x2.mul (local.get $vb1) (v128.load offset=16 (i32.add (local.get $m) (local.get $i))))
          (f64x2.mul (local.get $vomb1) (local.get $gv))))
        (local.set $vv (f64x2.add
          (f64x2.mul (local.get $vb2) (v128.load offset=16 (i32.add (local.get $v) (local.get $i))))
          (f64x2.mul (f64x2.mul (local.get $vomb2) (local.get $gv)) (local.get $gv))))
        (v128.store offset=16 (i32.add (local.get $m) (local.get $i)) (local.get $mv))
        (v128.store offset=16 (i32.add (local.get $v) (local.get $i)) (local.get $vv))
        (v128.store offset=16 (i32.add (local.get $p) (local.get $i))
          (f64x2.sub (v128.load offset=16 (i32.add (local.get $p) (local.get $i)))
            (f64x2.div
              (f64x2.mul (local.get $vstep) (local.get $mv))
              (f64x2.add (f64x2.mul (f64x2.sqrt (local.get $vv)) (local.get $vbias)) (local.get $veps)))))
        (local.set $gv (v128.load offset=32 (i32.add (local.get $g) (local.get $i))))
        (local.set $mv (f64x2.add
          (f64x2.mul (local.get $vb1) (v128.load offset=32 (i32.add (local.get $m) (local.get $i))))
          (f64x2.mul (local.get $vomb1) (local.get $gv))))
        (local.set $vv (f64x2.add
          (f64x2.mul (local.get $vb2) (v128.load offset=32 (i32.add (local.get $v) (local.get $i))))
          (f64x2.mul (f64x2.mul (local.get $vomb2) (local.get $gv)) (local.get $gv))))
        (v128.store offset=32 (i32.add (local.get $m) (local.get $i)) (local.get $mv))
        (v128.store offset=32 (i32.add (local.get $v) (local.get $i)) (local.get $vv))
        (v128.store offset=32 (i32.add (local.get $p) (local.get $i))
          (f64x2.sub (v128.load offset=32 (i32.add (local.get $p) (local.get $i)))
            (f64x2.div
              (f64x2.mul (local.get $vstep) (local.get $mv))
              (f64x2.add (f64x2.mul (f64x2.sqrt (local.get $vv)) (local.get $vbias)) (local.get $veps)))))
        (local.set $gv (v128.load offset=48 (i32.add (local.get $g) (local.get $i))))
        (local.set $mv (f64x2.add
          (f64x2.mul (local.get $vb1) (v128.load offset=48 (i32.add (local.get $m) (local.get $i))))
          (f64x2.mul (local.get $vomb1) (local.get $gv))))
        (local.set $vv (f64x2.add
          (f64x2.mul (local.get $vb2) (v128.load offset=48 (i32.add (local.get $v) (local.get $i))))
          (f64x2.mul (f64x2.mul (local.get $vomb2) (local.get $gv)) (local.get $gv))))
        (v128.store offset=48 (i32.add (local.get $m) (local.get $i)) (local.get $mv))
        (v128.store offset=48 (i32.add (local.get $v) (local.get $i)) (local.get $vv))
        (v128.store offset=48 (i32.add (local.get $p) (local.get $i))
          (f64x2.sub (v128.load offset=48 (i32.add (local.get $p) (local.get $i)))
            (f64x2.div
              (f64x2.mul (local.get $vstep) (local.get $mv))
              (f64x2.add (f64x2.mul (f64x2.sqrt (local.get $vv)) (local.get $vbias)) (local.get $veps)))))
        (local.set $i (i32.add (local.get $i) (i32.const 64)))
        (br $next))))


  ;; SGD (src/sgd.ts), same operation order. Regions: p params, b momentum buffer,
  ;; g gradient. flags: 1 clip, 2 L2, 4 momentum, 8 first momentum step (buffer = d),
  ;; 16 Nesterov.
  (func (export "sgd_f32")
    (param $p i32) (param $b i32) (param $g i32) (param $bytes i32) (param $flags i32)
    (param $scale f64) (param $bound f64) (param $sign f64) (param $l2 f64)
    (param $momentum f64) (param $omd f64) (param $lr f64)
    (local $i i32) (local $vscale v128) (local $vbound v128) (local $vnbound v128) (local $vsign v128)
    (local $vl2 v128) (local $vmom v128) (local $vomd v128) (local $vlr v128)
    (local $dv v128) (local $pv v128) (local $bv v128)
    (local.set $vscale (f32x4.splat (f32.demote_f64 (local.get $scale))))
    (local.set $vbound (f32x4.splat (f32.demote_f64 (local.get $bound))))
    (local.set $vnbound (f32x4.neg (local.get $vbound)))
    (local.set $vsign (f32x4.splat (f32.demote_f64 (local.get $sign))))
    (local.set $vl2 (f32x4.splat (f32.demote_f64 (local.get $l2))))
    (local.set $vmom (f32x4.splat (f32.demote_f64 (local.get $momentum))))
    (local.set $vomd (f32x4.splat (f32.demote_f64 (local.get $omd))))
    (local.set $vlr (f32x4.splat (f32.demote_f64 (local.get $lr))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $bytes)))
        (local.set $dv (f32x4.mul (v128.load (i32.add (local.get $g) (local.get $i))) (local.get $vscale)))
        (if (i32.and (local.get $flags) (i32.const 1))
          (then (local.set $dv (f32x4.min (f32x4.max (local.get $dv) (local.get $vnbound)) (local.get $vbound)))))
        (local.set $dv (f32x4.mul (local.get $dv) (local.get $vsign)))
        (local.set $pv (v128.load (i32.add (local.get $p) (local.get $i))))
        (if (i32.and (local.get $flags) (i32.const 2))
          (then (local.set $dv (f32x4.add (local.get $dv) (f32x4.mul (local.get $vl2) (local.get $pv))))))
        (if (i32.and (local.get $flags) (i32.const 4))
          (then
            (if (i32.and (local.get $flags) (i32.const 8))
              (then (local.set $bv (local.get $dv)))
              (else (local.set $bv (f32x4.add
                (f32x4.mul (local.get $vmom) (v128.load (i32.add (local.get $b) (local.get $i))))
                (f32x4.mul (local.get $vomd) (local.get $dv))))))
            (v128.store (i32.add (local.get $b) (local.get $i)) (local.get $bv))
            (if (i32.and (local.get $flags) (i32.const 16))
              (then (local.set $dv (f32x4.add (local.get $dv) (f32x4.mul (local.get $vmom) (local.get $bv)))))
              (else (local.set $dv (local.get $bv))))))
        (v128.store (i32.add (local.get $p) (local.get $i))
          (f32x4.sub (local.get $pv) (f32x4.mul (local.get $vlr) (local.get $dv))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next))))

  ;; SGD (src/sgd.ts), same operation order. Regions: p params, b momentum buffer,
  ;; g gradient. flags: 1 clip, 2 L2, 4 momentum, 8 first momentum step (buffer = d),
  ;; 16 Nesterov.
  (func (export "sgd_f64")
    (param $p i32) (param $b i32) (param $g i32) (param $bytes i32) (param $flags i32)
    (param $scale f64) (param $bound f64) (param $sign f64) (param $l2 f64)
    (param $momentum f64) (param $omd f64) (param $lr f64)
    (local $i i32) (local $vscale v128) (local $vbound v128) (local $vnbound v128) (local $vsign v128)
    (local $vl2 v128) (local $vmom v128) (local $vomd v128) (local $vlr v128)
    (local $dv v128) (local $pv v128) (local $bv v128)
    (local.set $vscale (f64x2.splat (local.get $scale)))
    (local.set $vbound (f64x2.splat (local.get $bound)))
    (local.set $vnbound (f64x2.neg (local.get $vbound)))
    (local.set $vsign (f64x2.splat (local.get $sign)))
    (local.set $vl2 (f64x2.splat (local.get $l2)))
    (local.set $vmom (f64x2.splat (local.get $momentum)))
    (local.set $vomd (f64x2.splat (local.get $omd)))
    (local.set $vlr (f64x2.splat (local.get $lr)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $bytes)))
        (local.set $dv (f64x2.mul (v128.load (i32.add (local.get $g) (local.get $i))) (local.get $vscale)))
        (if (i32.and (local.get $flags) (i32.const 1))
          (then (local.set $dv (f64x2.min (f64x2.max (local.get $dv) (local.get $vnbound)) (local.get $vbound)))))
        (local.set $dv (f64x2.mul (local.get $dv) (local.get $vsign)))
        (local.set $pv (v128.load (i32.add (local.get $p) (local.get $i))))
        (if (i32.and (local.get $flags) (i32.const 2))
          (then (local.set $dv (f64x2.add (local.get $dv) (f64x2.mul (local.get $vl2) (local.get $pv))))))
        (if (i32.and (local.get $flags) (i32.const 4))
          (then
            (if (i32.and (local.get $flags) (i32.const 8))
              (then (local.set $bv (local.get $dv)))
              (else (local.set $bv (f64x2.add
                (f64x2.mul (local.get $vmom) (v128.load (i32.add (local.get $b) (local.get $i))))
                (f64x2.mul (local.get $vomd) (local.get $dv))))))
            (v128.store (i32.add (local.get $b) (local.get $i)) (local.get $bv))
            (if (i32.and (local.get $flags) (i32.const 16))
              (then (local.set $dv (f64x2.add (local.get $dv) (f64x2.mul (local.get $vmom) (local.get $bv)))))
              (else (local.set $dv (local.get $bv))))))
        (v128.store (i32.add (local.get $p) (local.get $i))
          (f64x2.sub (local.get $pv) (f64x2.mul (local.get $vlr) (local.get $dv))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next))))

  ;; RMSProp (src/rmsprop.ts), same operation order. Regions: p params, s square
  ;; average, ga gradient average, b momentum buffer, g gradient. flags: 1 clip, 2 L2,
  ;; 4 centered, 8 momentum, 16 eps inside the square root (Keras, TF.js, River).
  (func (export "rmsprop_f32")
    (param $p i32) (param $s i32) (param $ga i32) (param $b i32) (param $g i32) (param $bytes i32)
    (param $flags i32) (param $scale f64) (param $bound f64) (param $sign f64) (param $l2 f64)
    (param $alpha f64) (param $oma f64) (param $eps f64) (param $momentum f64) (param $lr f64)
    (local $i i32) (local $vscale v128) (local $vbound v128) (local $vnbound v128) (local $vsign v128)
    (local $vl2 v128) (local $valpha v128) (local $voma v128) (local $veps v128) (local $vmom v128) (local $vlr v128)
    (local $gv v128) (local $pv v128) (local $sv v128) (local $av v128) (local $gav v128) (local $bv v128)
    (local.set $vscale (f32x4.splat (f32.demote_f64 (local.get $scale))))
    (local.set $vbound (f32x4.splat (f32.demote_f64 (local.get $bound))))
    (local.set $vnbound (f32x4.neg (local.get $vbound)))
    (local.set $vsign (f32x4.splat (f32.demote_f64 (local.get $sign))))
    (local.set $vl2 (f32x4.splat (f32.demote_f64 (local.get $l2))))
    (local.set $valpha (f32x4.splat (f32.demote_f64 (local.get $alpha))))
    (local.set $voma (f32x4.splat (f32.demote_f64 (local.get $oma))))
    (local.set $veps (f32x4.splat (f32.demote_f64 (local.get $eps))))
    (local.set $vmom (f32x4.splat (f32.demote_f64 (local.get $momentum))))
    (local.set $vlr (f32x4.splat (f32.demote_f64 (local.get $lr))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $bytes)))
        (local.set $gv (f32x4.mul (v128.load (i32.add (local.get $g) (local.get $i))) (local.get $vscale)))
        (if (i32.and (local.get $flags) (i32.const 1))
          (then (local.set $gv (f32x4.min (f32x4.max (local.get $gv) (local.get $vnbound)) (local.get $vbound)))))
        (local.set $gv (f32x4.mul (local.get $gv) (local.get $vsign)))
        (local.set $pv (v128.load (i32.add (local.get $p) (local.get $i))))
        (if (i32.and (local.get $flags) (i32.const 2))
          (then (local.set $gv (f32x4.add (local.get $gv) (f32x4.mul (local.get $vl2) (local.get $pv))))))
        (local.set $sv (f32x4.add
          (f32x4.mul (local.get $valpha) (v128.load (i32.add (local.get $s) (local.get $i))))
          (f32x4.mul (f32x4.mul (local.get $voma) (local.get $gv)) (local.get $gv))))
        (v128.store (i32.add (local.get $s) (local.get $i)) (local.get $sv))
        (if (i32.and (local.get $flags) (i32.const 4))
          (then
            (local.set $gav (f32x4.add
              (f32x4.mul (local.get $valpha) (v128.load (i32.add (local.get $ga) (local.get $i))))
              (f32x4.mul (local.get $voma) (local.get $gv))))
            (v128.store (i32.add (local.get $ga) (local.get $i)) (local.get $gav))
            (local.set $av (f32x4.sub (local.get $sv) (f32x4.mul (local.get $gav) (local.get $gav)))))
          (else (local.set $av (local.get $sv))))
        (if (i32.and (local.get $flags) (i32.const 16))
          (then (local.set $av (f32x4.sqrt (f32x4.add (local.get $av) (local.get $veps)))))
          (else (local.set $av (f32x4.add (f32x4.sqrt (local.get $av)) (local.get $veps)))))
        (if (i32.and (local.get $flags) (i32.const 8))
          (then
            (local.set $bv (f32x4.add
              (f32x4.mul (local.get $vmom) (v128.load (i32.add (local.get $b) (local.get $i))))
              (f32x4.div (local.get $gv) (local.get $av))))
            (v128.store (i32.add (local.get $b) (local.get $i)) (local.get $bv))
            (v128.store (i32.add (local.get $p) (local.get $i)) (f32x4.sub (local.get $pv) (f32x4.mul (local.get $vlr) (local.get $bv)))))
          (else
            (v128.store (i32.add (local.get $p) (local.get $i))
              (f32x4.sub (local.get $pv) (f32x4.div (f32x4.mul (local.get $vlr) (local.get $gv)) (local.get $av))))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next))))

  ;; RMSProp (src/rmsprop.ts), same operation order. Regions: p params, s square
  ;; average, ga gradient average, b momentum buffer, g gradient. flags: 1 clip, 2 L2,
  ;; 4 centered, 8 momentum, 16 eps inside the square root (Keras, TF.js, River).
  (func (export "rmsprop_f64")
    (param $p i32) (param $s i32) (param $ga i32) (param $b i32) (param $g i32) (param $bytes i32)
    (param $flags i32) (param $scale f64) (param $bound f64) (param $sign f64) (param $l2 f64)
    (param $alpha f64) (param $oma f64) (param $eps f64) (param $momentum f64) (param $lr f64)
    (local $i i32) (local $vscale v128) (local $vbound v128) (local $vnbound v128) (local $vsign v128)
    (local $vl2 v128) (local $valpha v128) (local $voma v128) (local $veps v128) (local $vmom v128) (local $vlr v128)
    (local $gv v128) (local $pv v128) (local $sv v128) (local $av v128) (local $gav v128) (local $bv v128)
    (local.set $vscale (f64x2.splat (local.get $scale)))
    (local.set $vbound (f64x2.splat (local.get $bound)))
    (local.set $vnbound (f64x2.neg (local.get $vbound)))
    (local.set $vsign (f64x2.splat (local.get $sign)))
    (local.set $vl2 (f64x2.splat (local.get $l2)))
    (local.set $valpha (f64x2.splat (local.get $alpha)))
    (local.set $voma (f64x2.splat (local.get $oma)))
    (local.set $veps (f64x2.splat (local.get $eps)))
    (local.set $vmom (f64x2.splat (local.get $momentum)))
    (local.set $vlr (f64x2.splat (local.get $lr)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $bytes)))
        (local.set $gv (f64x2.mul (v128.load (i32.add (local.get $g) (local.get $i))) (local.get $vscale)))
        (if (i32.and (local.get $flags) (i32.const 1))
          (then (local.set $gv (f64x2.min (f64x2.max (local.get $gv) (local.get $vnbound)) (local.get $vbound)))))
        (local.set $gv (f64x2.mul (local.get $gv) (local.get $vsign)))
        (local.set $pv (v128.load (i32.add (local.get $p) (local.get $i))))
        (if (i32.and (local.get $flags) (i32.const 2))
          (then (local.set $gv (f64x2.add (local.get $gv) (f64x2.mul (local.get $vl2) (local.get $pv))))))
        (local.set $sv (f64x2.add
          (f64x2.mul (local.get $valpha) (v128.load (i32.add (local.get $s) (local.get $i))))
          (f64x2.mul (f64x2.mul (local.get $voma) (local.get $gv)) (local.get $gv))))
        (v128.store (i32.add (local.get $s) (local.get $i)) (local.get $sv))
        (if (i32.and (local.get $flags) (i32.const 4))
          (then
            (local.set $gav (f64x2.add
              (f64x2.mul (local.get $valpha) (v128.load (i32.add (local.get $ga) (local.get $i))))
              (f64x2.mul (local.get $voma) (local.get $gv))))
            (v128.store (i32.add (local.get $ga) (local.get $i)) (local.get $gav))
            (local.set $av (f64x2.sub (local.get $sv) (f64x2.mul (local.get $gav) (local.get $gav)))))
          (else (local.set $av (local.get $sv))))
        (if (i32.and (local.get $flags) (i32.const 16))
          (then (local.set $av (f64x2.sqrt (f64x2.add (local.get $av) (local.get $veps)))))
          (else (local.set $av (f64x2.add (f64x2.sqrt (local.get $av)) (local.get $veps)))))
        (if (i32.and (local.get $flags) (i32.const 8))
          (then
            (local.set $bv (f64x2.add
              (f64x2.mul (local.get $vmom) (v128.load (i32.add (local.get $b) (local.get $i))))
              (f64x2.div (local.get $gv) (local.get $av))))
            (v128.store (i32.add (local.get $b) (local.get $i)) (local.get $bv))
            (v128.store (i32.add (local.get $p) (local.get $i)) (f64x2.sub (local.get $pv) (f64x2.mul (local.get $vlr) (local.get $bv)))))
          (else
            (v128.store (i32.add (local.get $p) (local.get $i))
              (f64x2.sub (local.get $pv) (f64x2.div (f64x2.mul (local.get $vlr) (local.get $gv)) (local.get $av))))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next))))

  ;; 1 when every lane of g is finite (g - g is +0 for finite values, NaN otherwise).
  ;; The differences are OR-ed together: a one-cycle dependency, where an f32x4.add
  ;; chain (three to four cycles) made this pass latency-bound at ~0.11 ns a float.
  (func (export "finite_f32") (param $g i32) (param $bytes i32) (result i32)
    (local $i i32) (local $a v128) (local $b v128) (local $x v128) (local $y v128)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $bytes)))
        (local.set $x (v128.load (i32.add (local.get $g) (local.get $i))))
        (local.set $y (v128.load offset=16 (i32.add (local.get $g) (local.get $i))))
        (local.set $a (v128.or (local.get $a) (f32x4.sub (local.get $x) (local.get $x))))
        (local.set $b (v128.or (local.get $b) (f32x4.sub (local.get $y) (local.get $y))))
        (local.set $x (v128.load offset=32 (i32.add (local.get $g) (local.get $i))))
        (local.set $y (v128.load offset=48 (i32.add (local.get $g) (local.get $i))))
        (local.set $a (v128.or (local.get $a) (f32x4.sub (local.get $x) (local.get $x))))
        (local.set $b (v128.or (local.get $b) (f32x4.sub (local.get $y) (local.get $y))))
        (local.set $i (i32.add (local.get $i) (i32.const 64)))
        (br $next)))
    ;; x - x is +0 (all bits clear) exactly when x is finite.
    (i32.eqz (v128.any_true (v128.or (local.get $a) (local.get $b)))))

  (func (export "finite_f64") (param $g i32) (param $bytes i32) (result i32)
    (local $i i32) (local $a v128) (local $b v128) (local $x v128) (local $y v128)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $bytes)))
        (local.set $x (v128.load (i32.add (local.get $g) (local.get $i))))
        (local.set $y (v128.load offset=16 (i32.add (local.get $g) (local.get $i))))
        (local.set $a (v128.or (local.get $a) (f64x2.sub (local.get $x) (local.get $x))))
        (local.set $b (v128.or (local.get $b) (f64x2.sub (local.get $y) (local.get $y))))
        (local.set $x (v128.load offset=32 (i32.add (local.get $g) (local.get $i))))
        (local.set $y (v128.load offset=48 (i32.add (local.get $g) (local.get $i))))
        (local.set $a (v128.or (local.get $a) (f64x2.sub (local.get $x) (local.get $x))))
        (local.set $b (v128.or (local.get $b) (f64x2.sub (local.get $y) (local.get $y))))
        (local.set $i (i32.add (local.get $i) (i32.const 64)))
        (br $next)))
    ;; x - x is +0 (all bits clear) exactly when x is finite.
    (i32.eqz (v128.any_true (v128.or (local.get $a) (local.get $b)))))

  ;; Sum of squares in f64, sequentially, in the JS loop's order (so clipNorm agrees bitwise).
  (func (export "sumsq_f32") (param $g i32) (param $count i32) (result f64)
    (local $i i32) (local $x f64) (local $sum f64)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $count)))
        (local.set $x (f64.promote_f32 (f32.load (i32.add (local.get $g) (i32.shl (local.get $i) (i32.const 2))))))
        (local.set $sum (f64.add (local.get $sum) (f64.mul (local.get $x) (local.get $x))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $sum))

  (func (export "sumsq_f64") (param $g i32) (param $count i32) (result f64)
    (local $i i32) (local $x f64) (local $sum f64)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $count)))
        (local.set $x (f64.load (i32.add (local.get $g) (i32.shl (local.get $i) (i32.const 3)))))
        (local.set $sum (f64.add (local.get $sum) (f64.mul (local.get $x) (local.get $x))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $sum))
)
