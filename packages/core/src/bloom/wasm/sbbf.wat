;; Batch XXH64 and the Parquet split-block Bloom filter's bit work, over keys packed into
;; linear memory by the JS side: `offsets` holds n + 1 byte offsets (relative to `bytes`),
;; key i being bytes[offsets[i], offsets[i + 1]). One call handles a whole batch, so the
;; JS/WASM boundary is crossed once per batch, never per key.
;; Assembled by packages/core/scripts/assemble-wasm.ts into sbbf-wasm.ts (base64).
(module
  (import "env" "memory" (memory 1))

  (func $round (param $acc i64) (param $lane i64) (result i64)
    (i64.mul
      (i64.rotl
        (i64.add (local.get $acc) (i64.mul (local.get $lane) (i64.const 0xC2B2AE3D27D4EB4F)))
        (i64.const 31))
      (i64.const 0x9E3779B185EBCA87)))

  (func $merge (param $h i64) (param $v i64) (result i64)
    (i64.add
      (i64.mul
        (i64.xor (local.get $h) (call $round (i64.const 0) (local.get $v)))
        (i64.const 0x9E3779B185EBCA87))
      (i64.const 0x85EBCA77C2B2AE63)))

  (func $xxh64 (param $p i32) (param $len i32) (param $seed i64) (result i64)
    (local $end i32) (local $limit i32) (local $h i64)
    (local $v1 i64) (local $v2 i64) (local $v3 i64) (local $v4 i64)
    (local.set $end (i32.add (local.get $p) (local.get $len)))
    (if (i32.ge_u (local.get $len) (i32.const 32))
      (then
        (local.set $v1 (i64.add (local.get $seed) (i64.const 0x60EA27EEADC0B5D6)))
        (local.set $v2 (i64.add (local.get $seed) (i64.const 0xC2B2AE3D27D4EB4F)))
        (local.set $v3 (local.get $seed))
        (local.set $v4 (i64.sub (local.get $seed) (i64.const 0x9E3779B185EBCA87)))
        (local.set $limit (i32.sub (local.get $end) (i32.const 32)))
        (loop $stripe
          (local.set $v1 (call $round (local.get $v1) (i64.load (local.get $p))))
          (local.set $v2 (call $round (local.get $v2) (i64.load offset=8 (local.get $p))))
          (local.set $v3 (call $round (local.get $v3) (i64.load offset=16 (local.get $p))))
          (local.set $v4 (call $round (local.get $v4) (i64.load offset=24 (local.get $p))))
          (local.set $p (i32.add (local.get $p) (i32.const 32)))
          (br_if $stripe (i32.le_u (local.get $p) (local.get $limit))))
        (local.set $h
          (i64.add
            (i64.add (i64.rotl (local.get $v1) (i64.const 1)) (i64.rotl (local.get $v2) (i64.const 7)))
            (i64.add (i64.rotl (local.get $v3) (i64.const 12)) (i64.rotl (local.get $v4) (i64.const 18)))))
        (local.set $h (call $merge (local.get $h) (local.get $v1)))
        (local.set $h (call $merge (local.get $h) (local.get $v2)))
        (local.set $h (call $merge (local.get $h) (local.get $v3)))
        (local.set $h (call $merge (local.get $h) (local.get $v4))))
      (else
        (local.set $h (i64.add (local.get $seed) (i64.const 0x27D4EB2F165667C5)))))
    (local.set $h (i64.add (local.get $h) (i64.extend_i32_u (local.get $len))))
    (block $lanes_done
      (loop $lanes
        (br_if $lanes_done (i32.gt_u (i32.add (local.get $p) (i32.const 8)) (local.get $end)))
        (local.set $h (i64.xor (local.get $h) (call $round (i64.const 0) (i64.load (local.get $p)))))
        (local.set $h
          (i64.add
            (i64.mul (i64.rotl (local.get $h) (i64.const 27)) (i64.const 0x9E3779B185EBCA87))
            (i64.const 0x85EBCA77C2B2AE63)))
        (local.set $p (i32.add (local.get $p) (i32.const 8)))
        (br $lanes)))
    (if (i32.le_u (i32.add (local.get $p) (i32.const 4)) (local.get $end))
      (then
        (local.set $h
          (i64.xor (local.get $h)
            (i64.mul (i64.extend_i32_u (i32.load (local.get $p))) (i64.const 0x9E3779B185EBCA87))))
        (local.set $h
          (i64.add
            (i64.mul (i64.rotl (local.get $h) (i64.const 23)) (i64.const 0xC2B2AE3D27D4EB4F))
            (i64.const 0x165667B19E3779F9)))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))))
    (block $bytes_done
      (loop $bytes
        (br_if $bytes_done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $h
          (i64.xor (local.get $h)
            (i64.mul (i64.extend_i32_u (i32.load8_u (local.get $p))) (i64.const 0x27D4EB2F165667C5))))
        (local.set $h (i64.mul (i64.rotl (local.get $h) (i64.const 11)) (i64.const 0x9E3779B185EBCA87)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $bytes)))
    (local.set $h (i64.mul (i64.xor (local.get $h) (i64.shr_u (local.get $h) (i64.const 33))) (i64.const 0xC2B2AE3D27D4EB4F)))
    (local.set $h (i64.mul (i64.xor (local.get $h) (i64.shr_u (local.get $h) (i64.const 29))) (i64.const 0x165667B19E3779F9)))
    (i64.xor (local.get $h) (i64.shr_u (local.get $h) (i64.const 32))))

  ;; Hash of key i of the packed batch.
  (func $keyHash (param $i i32) (param $offsets i32) (param $bytes i32) (param $seed i64) (result i64)
    (local $start i32) (local $at i32)
    (local.set $at (i32.add (local.get $offsets) (i32.shl (local.get $i) (i32.const 2))))
    (local.set $start (i32.load (local.get $at)))
    (call $xxh64
      (i32.add (local.get $bytes) (local.get $start))
      (i32.sub (i32.load offset=4 (local.get $at)) (local.get $start))
      (local.get $seed)))

  ;; Address of the block that the upper 32 bits choose: filter + ((high * blocks) >> 32) * 32.
  (func $blockAddress (param $h i64) (param $filter i32) (param $blocks i32) (result i32)
    (i32.add (local.get $filter)
      (i32.shl
        (i32.wrap_i64
          (i64.shr_u
            (i64.mul (i64.shr_u (local.get $h) (i64.const 32)) (i64.extend_i32_u (local.get $blocks)))
            (i64.const 32)))
        (i32.const 5))))

  ;; The eight one-bit word masks of a block, as two vectors: bit (low * salt[w]) >>> 27 of
  ;; word w. WASM SIMD has no per-lane variable shift, so 1 << x is made as the float 2^x
  ;; (exponent x + 127) truncated back to an unsigned integer; exact for x in 0..31.
  (func $mask (param $low i32) (param $salts v128) (result v128)
    (i32x4.trunc_sat_f32x4_u
      (i32x4.add
        (i32x4.shl
          (i32x4.shr_u (i32x4.mul (i32x4.splat (local.get $low)) (local.get $salts)) (i32.const 27))
          (i32.const 23))
        (v128.const i32x4 0x3f800000 0x3f800000 0x3f800000 0x3f800000))))

  (func $insert (param $h i64) (param $filter i32) (param $blocks i32)
    (local $at i32) (local $low i32)
    (local.set $at (call $blockAddress (local.get $h) (local.get $filter) (local.get $blocks)))
    (local.set $low (i32.wrap_i64 (local.get $h)))
    (v128.store (local.get $at)
      (v128.or (v128.load (local.get $at))
        (call $mask (local.get $low) (v128.const i32x4 0x47b6137b 0x44974d91 0x8824ad5b 0xa2b7289d))))
    (v128.store offset=16 (local.get $at)
      (v128.or (v128.load offset=16 (local.get $at))
        (call $mask (local.get $low) (v128.const i32x4 0x705495c7 0x2df1424b 0x9efc4947 0x5c6bfb31)))))

  ;; 1 when every bit of the key's masks is set in its block, else 0.
  (func $contains (param $h i64) (param $filter i32) (param $blocks i32) (result i32)
    (local $at i32) (local $low i32)
    (local.set $at (call $blockAddress (local.get $h) (local.get $filter) (local.get $blocks)))
    (local.set $low (i32.wrap_i64 (local.get $h)))
    (i32.eqz
      (v128.any_true
        (v128.or
          (v128.andnot
            (call $mask (local.get $low) (v128.const i32x4 0x47b6137b 0x44974d91 0x8824ad5b 0xa2b7289d))
            (v128.load (local.get $at)))
          (v128.andnot
            (call $mask (local.get $low) (v128.const i32x4 0x705495c7 0x2df1424b 0x9efc4947 0x5c6bfb31))
            (v128.load offset=16 (local.get $at)))))))

  ;; out[2i] = upper, out[2i + 1] = lower 32 bits of XXH64(seed) of key i.
  (func (export "hash") (param $n i32) (param $offsets i32) (param $bytes i32) (param $out i32) (param $seed i32)
    (local $i i32) (local $h i64) (local $s i64)
    (local.set $s (i64.extend_i32_u (local.get $seed)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $h (call $keyHash (local.get $i) (local.get $offsets) (local.get $bytes) (local.get $s)))
        (i64.store (local.get $out) (i64.rotl (local.get $h) (i64.const 32)))
        (local.set $out (i32.add (local.get $out) (i32.const 8)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next))))

  (func (export "add") (param $n i32) (param $offsets i32) (param $bytes i32) (param $filter i32) (param $blocks i32)
    (local $i i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (call $insert
          (call $keyHash (local.get $i) (local.get $offsets) (local.get $bytes) (i64.const 0))
          (local.get $filter) (local.get $blocks))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next))))

  ;; out[i] = 1 when key i may be in the filter, 0 when it certainly is not.
  (func (export "check") (param $n i32) (param $offsets i32) (param $bytes i32) (param $filter i32) (param $blocks i32) (param $out i32)
    (local $i i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (i32.store8 (i32.add (local.get $out) (local.get $i))
          (call $contains
            (call $keyHash (local.get $i) (local.get $offsets) (local.get $bytes) (i64.const 0))
            (local.get $filter) (local.get $blocks)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))))
