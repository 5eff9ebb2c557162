;; Line splitting, batch XXH64 and the Parquet split-block Bloom filter's bit work, over
;; keys packed into linear memory by the JS side. Key i is bytes[offsets[i * step / 4],
;; offsets[i * step / 4 + 1]) (byte offsets relative to `bytes`): a step of 4 reads keys packed
;; end to end (n + 1 offsets), a step of 8 lines packed with their line ends between them (a
;; start and an end each). One call handles a whole batch, so the JS/WASM boundary is crossed
;; once per batch, never per key.
;;
;; Each call makes three passes: all the hashes first; then a touch pass, a very short loop
;; of independent loads, one per key's block, so that the CPU has dozens of cache misses in
;; flight at once; then the bit work, which finds its blocks in cache. Interleaved with the
;; hashing, the block loads stalled one miss at a time on a filter larger than the cache
;; (10M keys: 4.4M adds a second, against 12M now; see src/bloom/README.md, Performance).
;; The hash and the bit rule are written inline rather than as functions: the Node 20 engine
;; (V8 11.3) does not inline WebAssembly calls, and a call per round cost a third of the hash.
;; Assembled by packages/core/scripts/assemble-wasm.ts into sbbf-wasm.ts (base64).
(module
  (import "env" "memory" (memory 1))

  ;; For each key i: the i64 at out + 8i holds the upper 32 bits of XXH64(seed) in its low
  ;; word and the lower 32 bits in its high word, so that as 32-bit words out[2i] is the upper
  ;; and out[2i + 1] the lower half.
  (func $hashAll (param $n i32) (param $offsets i32) (param $step i32) (param $endAt i32) (param $bytes i32) (param $out i32) (param $seed i64)
    (local $stop i32) (local $p i32) (local $end i32) (local $limit i32) (local $len i32)
    (local $h i64) (local $v1 i64) (local $v2 i64) (local $v3 i64) (local $v4 i64)
    (local.set $stop (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 3))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $out) (local.get $stop)))
        (local.set $p (i32.add (local.get $bytes) (i32.load (local.get $offsets))))
        (local.set $end (i32.add (local.get $bytes) (i32.load (i32.add (local.get $offsets) (local.get $endAt)))))
        (local.set $len (i32.sub (local.get $end) (local.get $p)))
        (if (i32.ge_u (local.get $len) (i32.const 32))
          (then
            (local.set $v1 (i64.add (local.get $seed) (i64.const 0x60EA27EEADC0B5D6)))
            (local.set $v2 (i64.add (local.get $seed) (i64.const 0xC2B2AE3D27D4EB4F)))
            (local.set $v3 (local.get $seed))
            (local.set $v4 (i64.sub (local.get $seed) (i64.const 0x9E3779B185EBCA87)))
            (local.set $limit (i32.sub (local.get $end) (i32.const 32)))
            (loop $stripe
              ;; v = rotl(v + lane * P2, 31) * P1, for the four lanes of 32 bytes
              (local.set $v1 (i64.mul (i64.rotl (i64.add (local.get $v1) (i64.mul (i64.load (local.get $p)) (i64.const 0xC2B2AE3D27D4EB4F))) (i64.const 31)) (i64.const 0x9E3779B185EBCA87)))
              (local.set $v2 (i64.mul (i64.rotl (i64.add (local.get $v2) (i64.mul (i64.load offset=8 (local.get $p)) (i64.const 0xC2B2AE3D27D4EB4F))) (i64.const 31)) (i64.const 0x9E3779B185EBCA87)))
              (local.set $v3 (i64.mul (i64.rotl (i64.add (local.get $v3) (i64.mul (i64.load offset=16 (local.get $p)) (i64.const 0xC2B2AE3D27D4EB4F))) (i64.const 31)) (i64.const 0x9E3779B185EBCA87)))
              (local.set $v4 (i64.mul (i64.rotl (i64.add (local.get $v4) (i64.mul (i64.load offset=24 (local.get $p)) (i64.const 0xC2B2AE3D27D4EB4F))) (i64.const 31)) (i64.const 0x9E3779B185EBCA87)))
              (local.set $p (i32.add (local.get $p) (i32.const 32)))
              (br_if $stripe (i32.le_u (local.get $p) (local.get $limit))))
            (local.set $h
              (i64.add
                (i64.add (i64.rotl (local.get $v1) (i64.const 1)) (i64.rotl (local.get $v2) (i64.const 7)))
                (i64.add (i64.rotl (local.get $v3) (i64.const 12)) (i64.rotl (local.get $v4) (i64.const 18)))))
            ;; h = (h ^ round(0, v)) * P1 + P4, for v1..v4
            (local.set $h (i64.add (i64.mul (i64.xor (local.get $h) (i64.mul (i64.rotl (i64.mul (local.get $v1) (i64.const 0xC2B2AE3D27D4EB4F)) (i64.const 31)) (i64.const 0x9E3779B185EBCA87))) (i64.const 0x9E3779B185EBCA87)) (i64.const 0x85EBCA77C2B2AE63)))
            (local.set $h (i64.add (i64.mul (i64.xor (local.get $h) (i64.mul (i64.rotl (i64.mul (local.get $v2) (i64.const 0xC2B2AE3D27D4EB4F)) (i64.const 31)) (i64.const 0x9E3779B185EBCA87))) (i64.const 0x9E3779B185EBCA87)) (i64.const 0x85EBCA77C2B2AE63)))
            (local.set $h (i64.add (i64.mul (i64.xor (local.get $h) (i64.mul (i64.rotl (i64.mul (local.get $v3) (i64.const 0xC2B2AE3D27D4EB4F)) (i64.const 31)) (i64.const 0x9E3779B185EBCA87))) (i64.const 0x9E3779B185EBCA87)) (i64.const 0x85EBCA77C2B2AE63)))
            (local.set $h (i64.add (i64.mul (i64.xor (local.get $h) (i64.mul (i64.rotl (i64.mul (local.get $v4) (i64.const 0xC2B2AE3D27D4EB4F)) (i64.const 31)) (i64.const 0x9E3779B185EBCA87))) (i64.const 0x9E3779B185EBCA87)) (i64.const 0x85EBCA77C2B2AE63))))
          (else
            (local.set $h (i64.add (local.get $seed) (i64.const 0x27D4EB2F165667C5)))))
        (local.set $h (i64.add (local.get $h) (i64.extend_i32_u (local.get $len))))
        (block $lanes_done
          (loop $lanes
            (br_if $lanes_done (i32.gt_u (i32.add (local.get $p) (i32.const 8)) (local.get $end)))
            ;; h ^= round(0, lane); h = rotl(h, 27) * P1 + P4
            (local.set $h (i64.xor (local.get $h) (i64.mul (i64.rotl (i64.mul (i64.load (local.get $p)) (i64.const 0xC2B2AE3D27D4EB4F)) (i64.const 31)) (i64.const 0x9E3779B185EBCA87))))
            (local.set $h (i64.add (i64.mul (i64.rotl (local.get $h) (i64.const 27)) (i64.const 0x9E3779B185EBCA87)) (i64.const 0x85EBCA77C2B2AE63)))
            (local.set $p (i32.add (local.get $p) (i32.const 8)))
            (br $lanes)))
        (if (i32.le_u (i32.add (local.get $p) (i32.const 4)) (local.get $end))
          (then
            (local.set $h (i64.xor (local.get $h) (i64.mul (i64.load32_u (local.get $p)) (i64.const 0x9E3779B185EBCA87))))
            (local.set $h (i64.add (i64.mul (i64.rotl (local.get $h) (i64.const 23)) (i64.const 0xC2B2AE3D27D4EB4F)) (i64.const 0x165667B19E3779F9)))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))))
        (block $bytes_done
          (loop $tail
            (br_if $bytes_done (i32.ge_u (local.get $p) (local.get $end)))
            (local.set $h (i64.xor (local.get $h) (i64.mul (i64.load8_u (local.get $p)) (i64.const 0x27D4EB2F165667C5))))
            (local.set $h (i64.mul (i64.rotl (local.get $h) (i64.const 11)) (i64.const 0x9E3779B185EBCA87)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $tail)))
        (local.set $h (i64.mul (i64.xor (local.get $h) (i64.shr_u (local.get $h) (i64.const 33))) (i64.const 0xC2B2AE3D27D4EB4F)))
        (local.set $h (i64.mul (i64.xor (local.get $h) (i64.shr_u (local.get $h) (i64.const 29))) (i64.const 0x165667B19E3779F9)))
        (local.set $h (i64.xor (local.get $h) (i64.shr_u (local.get $h) (i64.const 32))))
        (i64.store (local.get $out) (i64.rotl (local.get $h) (i64.const 32)))
        (local.set $out (i32.add (local.get $out) (i32.const 8)))
        (local.set $offsets (i32.add (local.get $offsets) (local.get $step)))
        (br $next))))

  ;; The bit rule, for hashes laid out as $hashAll writes them. The block is
  ;; filter + ((upper * blocks) >> 32) * 32; word w of it gets bit x = (lower * salt[w]) >>> 27.
  ;; WASM SIMD has no per-lane variable shift, so 1 << x is built bytewise: x is copied to
  ;; the four bytes of its lane, byte j takes x - 8j, and a table lookup (swizzle) maps 0..7
  ;; to 1 << (x - 8j) and anything else (8..15 in the table's zeros, 16..255 out of range,
  ;; which swizzle maps to 0) to 0. This replaced a float 2^x truncated to an integer, whose
  ;; unsigned conversion V8 expands to a dozen instructions: 10–20% off the bit pass.

  ;; Loads one word of every key's block and returns their XOR (returned so that the loads are
  ;; kept). A loop this short has dozens of these independent cache misses in flight where the
  ;; bit loop, four times as long, had a few; the bit loop then finds its blocks in cache.
  ;; Measured on the bit work alone, 4096 keys a call: 46 -> 22 ns a key for a 131 MB filter,
  ;; 19 -> 9 for 13 MB, no change for 1.3 MB.
  (func $touchAll (param $n i32) (param $hashes i32) (param $stride i32) (param $filter i32) (param $blocks i32) (result i32)
    (local $stop i32) (local $x i32) (local $blocks64 i64)
    (local.set $blocks64 (i64.extend_i32_u (local.get $blocks)))
    (local.set $stop (i32.add (local.get $hashes) (i32.mul (local.get $n) (local.get $stride))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $hashes) (local.get $stop)))
        (local.set $x (i32.xor (local.get $x) (i32.load (i32.add (local.get $filter)
          (i32.shl (i32.wrap_i64 (i64.shr_u (i64.mul (i64.load32_u (local.get $hashes)) (local.get $blocks64)) (i64.const 32))) (i32.const 5))))))
        (local.set $hashes (i32.add (local.get $hashes) (local.get $stride)))
        (br $next)))
    (local.get $x))

  (func $setAll (param $n i32) (param $hashes i32) (param $stride i32) (param $filter i32) (param $blocks i32)
    (local $stop i32) (local $at i32) (local $low v128) (local $blocks64 i64)
    (local.set $blocks64 (i64.extend_i32_u (local.get $blocks)))
    (local.set $stop (i32.add (local.get $hashes) (i32.mul (local.get $n) (local.get $stride))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $hashes) (local.get $stop)))
        (local.set $at (i32.add (local.get $filter)
          (i32.shl (i32.wrap_i64 (i64.shr_u (i64.mul (i64.load32_u (local.get $hashes)) (local.get $blocks64)) (i64.const 32))) (i32.const 5))))
        (local.set $low (i32x4.splat (i32.load offset=4 (local.get $hashes))))
        (v128.store (local.get $at)
          (v128.or (v128.load (local.get $at))
            (i8x16.swizzle (v128.const i8x16 1 2 4 8 16 32 64 128 0 0 0 0 0 0 0 0)
              (i8x16.sub
                (i8x16.shuffle 0 0 0 0 4 4 4 4 8 8 8 8 12 12 12 12
                  (i32x4.shr_u (i32x4.mul (local.get $low) (v128.const i32x4 0x47b6137b 0x44974d91 0x8824ad5b 0xa2b7289d)) (i32.const 27))
                  (v128.const i32x4 0 0 0 0))
                (v128.const i8x16 0 8 16 24 0 8 16 24 0 8 16 24 0 8 16 24)))))
        (v128.store offset=16 (local.get $at)
          (v128.or (v128.load offset=16 (local.get $at))
            (i8x16.swizzle (v128.const i8x16 1 2 4 8 16 32 64 128 0 0 0 0 0 0 0 0)
              (i8x16.sub
                (i8x16.shuffle 0 0 0 0 4 4 4 4 8 8 8 8 12 12 12 12
                  (i32x4.shr_u (i32x4.mul (local.get $low) (v128.const i32x4 0x705495c7 0x2df1424b 0x9efc4947 0x5c6bfb31)) (i32.const 27))
                  (v128.const i32x4 0 0 0 0))
                (v128.const i8x16 0 8 16 24 0 8 16 24 0 8 16 24 0 8 16 24)))))
        (local.set $hashes (i32.add (local.get $hashes) (local.get $stride)))
        (br $next))))

  ;; As $setAll, each block set by four 64-bit atomic ORs: threads that add to one
  ;; shared filter at once lose no bit to each other (a plain load and store of a block that
  ;; another thread set between them would). Measured alone on a 28 MiB filter, 20M keys: 26
  ;; ns a key against 20 for the plain stores; two threads at once, 18-25 ns a key in all.
  (func $setAllAtomic (param $n i32) (param $hashes i32) (param $stride i32) (param $filter i32) (param $blocks i32)
    (local $stop i32) (local $at i32) (local $low v128) (local $mask v128) (local $blocks64 i64)
    (local.set $blocks64 (i64.extend_i32_u (local.get $blocks)))
    (local.set $stop (i32.add (local.get $hashes) (i32.mul (local.get $n) (local.get $stride))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $hashes) (local.get $stop)))
        (local.set $at (i32.add (local.get $filter)
          (i32.shl (i32.wrap_i64 (i64.shr_u (i64.mul (i64.load32_u (local.get $hashes)) (local.get $blocks64)) (i64.const 32))) (i32.const 5))))
        (local.set $low (i32x4.splat (i32.load offset=4 (local.get $hashes))))
        (local.set $mask
          (i8x16.swizzle (v128.const i8x16 1 2 4 8 16 32 64 128 0 0 0 0 0 0 0 0)
            (i8x16.sub
              (i8x16.shuffle 0 0 0 0 4 4 4 4 8 8 8 8 12 12 12 12
                (i32x4.shr_u (i32x4.mul (local.get $low) (v128.const i32x4 0x47b6137b 0x44974d91 0x8824ad5b 0xa2b7289d)) (i32.const 27))
                (v128.const i32x4 0 0 0 0))
              (v128.const i8x16 0 8 16 24 0 8 16 24 0 8 16 24 0 8 16 24))))
        (drop (i64.atomic.rmw.or (local.get $at) (i64x2.extract_lane 0 (local.get $mask))))
        (drop (i64.atomic.rmw.or offset=8 (local.get $at) (i64x2.extract_lane 1 (local.get $mask))))
        (local.set $mask
          (i8x16.swizzle (v128.const i8x16 1 2 4 8 16 32 64 128 0 0 0 0 0 0 0 0)
            (i8x16.sub
              (i8x16.shuffle 0 0 0 0 4 4 4 4 8 8 8 8 12 12 12 12
                (i32x4.shr_u (i32x4.mul (local.get $low) (v128.const i32x4 0x705495c7 0x2df1424b 0x9efc4947 0x5c6bfb31)) (i32.const 27))
                (v128.const i32x4 0 0 0 0))
              (v128.const i8x16 0 8 16 24 0 8 16 24 0 8 16 24 0 8 16 24))))
        (drop (i64.atomic.rmw.or offset=16 (local.get $at) (i64x2.extract_lane 0 (local.get $mask))))
        (drop (i64.atomic.rmw.or offset=24 (local.get $at) (i64x2.extract_lane 1 (local.get $mask))))
        (local.set $hashes (i32.add (local.get $hashes) (local.get $stride)))
        (br $next))))

  ;; out[i] = 1 when every bit of key i's masks is set in its block, else 0. `out` may be
  ;; `hashes` itself: byte i is written after hash i (bytes 8i..8i+7) was read.
  (func $testAll (param $n i32) (param $hashes i32) (param $stride i32) (param $filter i32) (param $blocks i32) (param $out i32)
    (local $stop i32) (local $at i32) (local $low v128) (local $blocks64 i64)
    (local.set $blocks64 (i64.extend_i32_u (local.get $blocks)))
    (local.set $stop (i32.add (local.get $hashes) (i32.mul (local.get $n) (local.get $stride))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $hashes) (local.get $stop)))
        (local.set $at (i32.add (local.get $filter)
          (i32.shl (i32.wrap_i64 (i64.shr_u (i64.mul (i64.load32_u (local.get $hashes)) (local.get $blocks64)) (i64.const 32))) (i32.const 5))))
        (local.set $low (i32x4.splat (i32.load offset=4 (local.get $hashes))))
        (i32.store8 (local.get $out)
          (i32.eqz (v128.any_true (v128.or
            (v128.andnot
              (i8x16.swizzle (v128.const i8x16 1 2 4 8 16 32 64 128 0 0 0 0 0 0 0 0)
                (i8x16.sub
                  (i8x16.shuffle 0 0 0 0 4 4 4 4 8 8 8 8 12 12 12 12
                    (i32x4.shr_u (i32x4.mul (local.get $low) (v128.const i32x4 0x47b6137b 0x44974d91 0x8824ad5b 0xa2b7289d)) (i32.const 27))
                    (v128.const i32x4 0 0 0 0))
                  (v128.const i8x16 0 8 16 24 0 8 16 24 0 8 16 24 0 8 16 24)))
              (v128.load (local.get $at)))
            (v128.andnot
              (i8x16.swizzle (v128.const i8x16 1 2 4 8 16 32 64 128 0 0 0 0 0 0 0 0)
                (i8x16.sub
                  (i8x16.shuffle 0 0 0 0 4 4 4 4 8 8 8 8 12 12 12 12
                    (i32x4.shr_u (i32x4.mul (local.get $low) (v128.const i32x4 0x705495c7 0x2df1424b 0x9efc4947 0x5c6bfb31)) (i32.const 27))
                    (v128.const i32x4 0 0 0 0))
                  (v128.const i8x16 0 8 16 24 0 8 16 24 0 8 16 24 0 8 16 24)))
              (v128.load offset=16 (local.get $at)))))))
        (local.set $hashes (i32.add (local.get $hashes) (local.get $stride)))
        (local.set $out (i32.add (local.get $out) (i32.const 1)))
        (br $next))))

  ;; Both halves of a 128-bit fingerprint: XXH64 with seed 0 and with seed SEED_LOW, in one
  ;; pass over the bytes. The two hashes share every product of a lane with a prime (the lanes'
  ;; rounds in the stripe loop, and all of the tail's), and their two dependency chains
  ;; interleave, so this costs far less than two calls of $hashAll. Key i is
  ;; bytes[offsets[i * step / 4], offsets[i * step / 4 + 1]): a step of 4 reads packed keys,
  ;; a step of 8 the start and end of each line (WasmArena.packLines). The 16 bytes at
  ;; out + 16i are the two hashes as $hashAll writes each, seed 0 first.
  (func $fingerprintAll (param $n i32) (param $offsets i32) (param $step i32) (param $endAt i32) (param $bytes i32) (param $out i32)
    (local $stop i32) (local $p i32) (local $end i32) (local $limit i32) (local $len i32) (local $k i64)
    (local $h i64) (local $v1 i64) (local $v2 i64) (local $v3 i64) (local $v4 i64)
    (local $g i64) (local $w1 i64) (local $w2 i64) (local $w3 i64) (local $w4 i64)
    (local.set $stop (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 4))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $out) (local.get $stop)))
        (local.set $p (i32.add (local.get $bytes) (i32.load (local.get $offsets))))
        (local.set $end (i32.add (local.get $bytes) (i32.load (i32.add (local.get $offsets) (local.get $endAt)))))
        (local.set $len (i32.sub (local.get $end) (local.get $p)))
        (if (i32.ge_u (local.get $len) (i32.const 32))
          (then
            (local.set $v1 (i64.const 0x60EA27EEADC0B5D6))
            (local.set $v2 (i64.const 0xC2B2AE3D27D4EB4F))
            (local.set $v3 (i64.const 0))
            (local.set $v4 (i64.const 0x61C8864E7A143579))
            (local.set $w1 (i64.add (i64.const 0x9E3779B9) (i64.const 0x60EA27EEADC0B5D6)))
            (local.set $w2 (i64.add (i64.const 0x9E3779B9) (i64.const 0xC2B2AE3D27D4EB4F)))
            (local.set $w3 (i64.const 0x9E3779B9))
            (local.set $w4 (i64.sub (i64.const 0x9E3779B9) (i64.const 0x9E3779B185EBCA87)))
            (local.set $limit (i32.sub (local.get $end) (i32.const 32)))
            (loop $stripe
              (local.set $k (i64.mul (i64.load (local.get $p)) (i64.const 0xC2B2AE3D27D4EB4F)))
              (local.set $v1 (i64.mul (i64.rotl (i64.add (local.get $v1) (local.get $k)) (i64.const 31)) (i64.const 0x9E3779B185EBCA87)))
              (local.set $w1 (i64.mul (i64.rotl (i64.add (local.get $w1) (local.get $k)) (i64.const 31)) (i64.const 0x9E3779B185EBCA87)))
              (local.set $k (i64.mul (i64.load offset=8 (local.get $p)) (i64.const 0xC2B2AE3D27D4EB4F)))
              (local.set $v2 (i64.mul (i64.rotl (i64.add (local.get $v2) (local.get $k)) (i64.const 31)) (i64.const 0x9E3779B185EBCA87)))
              (local.set $w2 (i64.mul (i64.rotl (i64.add (local.get $w2) (local.get $k)) (i64.const 31)) (i64.const 0x9E3779B185EBCA87)))
              (local.set $k (i64.mul (i64.load offset=16 (local.get $p)) (i64.const 0xC2B2AE3D27D4EB4F)))
              (local.set $v3 (i64.mul (i64.rotl (i64.add (local.get $v3) (local.get $k)) (i64.const 31)) (i64.const 0x9E3779B185EBCA87)))
              (local.set $w3 (i64.mul (i64.rotl (i64.add (local.get $w3) (local.get $k)) (i64.const 31)) (i64.const 0x9E3779B185EBCA87)))
              (local.set $k (i64.mul (i64.load offset=24 (local.get $p)) (i64.const 0xC2B2AE3D27D4EB4F)))
              (local.set $v4 (i64.mul (i64.rotl (i64.add (local.get $v4) (local.get $k)) (i64.const 31)) (i64.const 0x9E3779B185EBCA87)))
              (local.set $w4 (i64.mul (i64.rotl (i64.add (local.get $w4) (local.get $k)) (i64.const 31)) (i64.const 0x9E3779B185EBCA87)))
              (local.set $p (i32.add (local.get $p) (i32.const 32)))
              (br_if $stripe (i32.le_u (local.get $p) (local.get $limit))))
            (local.set $h (i64.add (i64.add (i64.rotl (local.get $v1) (i64.const 1)) (i64.rotl (local.get $v2) (i64.const 7))) (i64.add (i64.rotl (local.get $v3) (i64.const 12)) (i64.rotl (local.get $v4) (i64.const 18)))))
            (local.set $g (i64.add (i64.add (i64.rotl (local.get $w1) (i64.const 1)) (i64.rotl (local.get $w2) (i64.const 7))) (i64.add (i64.rotl (local.get $w3) (i64.const 12)) (i64.rotl (local.get $w4) (i64.const 18)))))
            (local.set $h (i64.add (i64.mul (i64.xor (local.get $h) (i64.mul (i64.rotl (i64.mul (local.get $v1) (i64.const 0xC2B2AE3D27D4EB4F)) (i64.const 31)) (i64.const 0x9E3779B185EBCA87))) (i64.const 0x9E3779B185EBCA87)) (i64.const 0x85EBCA77C2B2AE63)))
            (local.set $g (i64.add (i64.mul (i64.xor (local.get $g) (i64.mul (i64.rotl (i64.mul (local.get $w1) (i64.const 0xC2B2AE3D27D4EB4F)) (i64.const 31)) (i64.const 0x9E3779B185EBCA87))) (i64.const 0x9E3779B185EBCA87)) (i64.const 0x85EBCA77C2B2AE63)))
            (local.set $h (i64.add (i64.mul (i64.xor (local.get $h) (i64.mul (i64.rotl (i64.mul (local.get $v2) (i64.const 0xC2B2AE3D27D4EB4F)) (i64.const 31)) (i64.const 0x9E3779B185EBCA87))) (i64.const 0x9E3779B185EBCA87)) (i64.const 0x85EBCA77C2B2AE63)))
            (local.set $g (i64.add (i64.mul (i64.xor (local.get $g) (i64.mul (i64.rotl (i64.mul (local.get $w2) (i64.const 0xC2B2AE3D27D4EB4F)) (i64.const 31)) (i64.const 0x9E3779B185EBCA87))) (i64.const 0x9E3779B185EBCA87)) (i64.const 0x85EBCA77C2B2AE63)))
            (local.set $h (i64.add (i64.mul (i64.xor (local.get $h) (i64.mul (i64.rotl (i64.mul (local.get $v3) (i64.const 0xC2B2AE3D27D4EB4F)) (i64.const 31)) (i64.const 0x9E3779B185EBCA87))) (i64.const 0x9E3779B185EBCA87)) (i64.const 0x85EBCA77C2B2AE63)))
            (local.set $g (i64.add (i64.mul (i64.xor (local.get $g) (i64.mul (i64.rotl (i64.mul (local.get $w3) (i64.const 0xC2B2AE3D27D4EB4F)) (i64.const 31)) (i64.const 0x9E3779B185EBCA87))) (i64.const 0x9E3779B185EBCA87)) (i64.const 0x85EBCA77C2B2AE63)))
            (local.set $h (i64.add (i64.mul (i64.xor (local.get $h) (i64.mul (i64.rotl (i64.mul (local.get $v4) (i64.const 0xC2B2AE3D27D4EB4F)) (i64.const 31)) (i64.const 0x9E3779B185EBCA87))) (i64.const 0x9E3779B185EBCA87)) (i64.const 0x85EBCA77C2B2AE63)))
            (local.set $g (i64.add (i64.mul (i64.xor (local.get $g) (i64.mul (i64.rotl (i64.mul (local.get $w4) (i64.const 0xC2B2AE3D27D4EB4F)) (i64.const 31)) (i64.const 0x9E3779B185EBCA87))) (i64.const 0x9E3779B185EBCA87)) (i64.const 0x85EBCA77C2B2AE63))))
          (else
            (local.set $h (i64.const 0x27D4EB2F165667C5))
            (local.set $g (i64.add (i64.const 0x9E3779B9) (i64.const 0x27D4EB2F165667C5)))))
        (local.set $h (i64.add (local.get $h) (i64.extend_i32_u (local.get $len))))
        (local.set $g (i64.add (local.get $g) (i64.extend_i32_u (local.get $len))))
        (block $lanes_done
          (loop $lanes
            (br_if $lanes_done (i32.gt_u (i32.add (local.get $p) (i32.const 8)) (local.get $end)))
            (local.set $k (i64.mul (i64.rotl (i64.mul (i64.load (local.get $p)) (i64.const 0xC2B2AE3D27D4EB4F)) (i64.const 31)) (i64.const 0x9E3779B185EBCA87)))
            (local.set $h (i64.add (i64.mul (i64.rotl (i64.xor (local.get $h) (local.get $k)) (i64.const 27)) (i64.const 0x9E3779B185EBCA87)) (i64.const 0x85EBCA77C2B2AE63)))
            (local.set $g (i64.add (i64.mul (i64.rotl (i64.xor (local.get $g) (local.get $k)) (i64.const 27)) (i64.const 0x9E3779B185EBCA87)) (i64.const 0x85EBCA77C2B2AE63)))
            (local.set $p (i32.add (local.get $p) (i32.const 8)))
            (br $lanes)))
        (if (i32.le_u (i32.add (local.get $p) (i32.const 4)) (local.get $end))
          (then
            (local.set $k (i64.mul (i64.load32_u (local.get $p)) (i64.const 0x9E3779B185EBCA87)))
            (local.set $h (i64.add (i64.mul (i64.rotl (i64.xor (local.get $h) (local.get $k)) (i64.const 23)) (i64.const 0xC2B2AE3D27D4EB4F)) (i64.const 0x165667B19E3779F9)))
            (local.set $g (i64.add (i64.mul (i64.rotl (i64.xor (local.get $g) (local.get $k)) (i64.const 23)) (i64.const 0xC2B2AE3D27D4EB4F)) (i64.const 0x165667B19E3779F9)))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))))
        (block $bytes_done
          (loop $tail
            (br_if $bytes_done (i32.ge_u (local.get $p) (local.get $end)))
            (local.set $k (i64.mul (i64.load8_u (local.get $p)) (i64.const 0x27D4EB2F165667C5)))
            (local.set $h (i64.mul (i64.rotl (i64.xor (local.get $h) (local.get $k)) (i64.const 11)) (i64.const 0x9E3779B185EBCA87)))
            (local.set $g (i64.mul (i64.rotl (i64.xor (local.get $g) (local.get $k)) (i64.const 11)) (i64.const 0x9E3779B185EBCA87)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $tail)))
        (local.set $h (i64.mul (i64.xor (local.get $h) (i64.shr_u (local.get $h) (i64.const 33))) (i64.const 0xC2B2AE3D27D4EB4F)))
        (local.set $h (i64.mul (i64.xor (local.get $h) (i64.shr_u (local.get $h) (i64.const 29))) (i64.const 0x165667B19E3779F9)))
        (local.set $h (i64.xor (local.get $h) (i64.shr_u (local.get $h) (i64.const 32))))
        (local.set $g (i64.mul (i64.xor (local.get $g) (i64.shr_u (local.get $g) (i64.const 33))) (i64.const 0xC2B2AE3D27D4EB4F)))
        (local.set $g (i64.mul (i64.xor (local.get $g) (i64.shr_u (local.get $g) (i64.const 29))) (i64.const 0x165667B19E3779F9)))
        (local.set $g (i64.xor (local.get $g) (i64.shr_u (local.get $g) (i64.const 32))))
        (i64.store (local.get $out) (i64.rotl (local.get $h) (i64.const 32)))
        (i64.store offset=8 (local.get $out) (i64.rotl (local.get $g) (i64.const 32)))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (local.set $offsets (i32.add (local.get $offsets) (local.get $step)))
        (br $next))))

  ;; The lines of bytes[0, len): for each line that is not blank, its start and end (the end
  ;; before a CR that precedes the LF) go to starts[n] and ends[n]; returns n. Sixteen bytes are
  ;; compared with LF at a time and only the set bits of the mask are visited, so the cost is
  ;; per 16 bytes and per line, not per byte: it replaced a Buffer#indexOf call per line,
  ;; a native call each. The 16 bytes after len must be readable; they are masked off.
  (func (export "splitLines") (param $bytes i32) (param $len i32) (param $starts i32) (param $ends i32) (result i32)
    (local $pos i32) (local $mask i32) (local $nl i32) (local $end i32) (local $start i32) (local $n i32)
    (block $done
      (loop $block
        (br_if $done (i32.ge_u (local.get $pos) (local.get $len)))
        (local.set $mask (i8x16.bitmask (i8x16.eq (v128.load (i32.add (local.get $bytes) (local.get $pos))) (v128.const i8x16 10 10 10 10 10 10 10 10 10 10 10 10 10 10 10 10))))
        (if (i32.lt_u (i32.sub (local.get $len) (local.get $pos)) (i32.const 16))
          (then (local.set $mask (i32.and (local.get $mask) (i32.sub (i32.shl (i32.const 1) (i32.sub (local.get $len) (local.get $pos))) (i32.const 1))))))
        (block $lines_done
          (loop $line
            (br_if $lines_done (i32.eqz (local.get $mask)))
            (local.set $nl (i32.add (local.get $pos) (i32.ctz (local.get $mask))))
            (local.set $end (local.get $nl))
            (if (i32.gt_u (local.get $end) (local.get $start))
              (then (if (i32.eq (i32.load8_u (i32.add (local.get $bytes) (i32.sub (local.get $end) (i32.const 1)))) (i32.const 13))
                (then (local.set $end (i32.sub (local.get $end) (i32.const 1)))))))
            (if (i32.gt_u (local.get $end) (local.get $start))
              (then
                (i32.store (i32.add (local.get $starts) (i32.shl (local.get $n) (i32.const 2))) (local.get $start))
                (i32.store (i32.add (local.get $ends) (i32.shl (local.get $n) (i32.const 2))) (local.get $end))
                (local.set $n (i32.add (local.get $n) (i32.const 1)))))
            (local.set $start (i32.add (local.get $nl) (i32.const 1)))
            (local.set $mask (i32.and (local.get $mask) (i32.sub (local.get $mask) (i32.const 1))))
            (br $line)))
        (local.set $pos (i32.add (local.get $pos) (i32.const 16)))
        (br $block)))
    ;; The last line, when the bytes do not end with LF.
    (local.set $end (local.get $len))
    (if (i32.gt_u (local.get $end) (local.get $start))
      (then (if (i32.eq (i32.load8_u (i32.add (local.get $bytes) (i32.sub (local.get $end) (i32.const 1)))) (i32.const 13))
        (then (local.set $end (i32.sub (local.get $end) (i32.const 1)))))))
    (if (i32.gt_u (local.get $end) (local.get $start))
      (then
        (i32.store (i32.add (local.get $starts) (i32.shl (local.get $n) (i32.const 2))) (local.get $start))
        (i32.store (i32.add (local.get $ends) (i32.shl (local.get $n) (i32.const 2))) (local.get $end))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))))
    (local.get $n))

;; Lines picked[0, n) (increasing indexes into starts and ends) of bytes, each followed by LF,
  ;; one after another at out; picked[k] is overwritten with the end of line k there (where
  ;; its LF went). Returns the bytes written. Copied sixteen bytes at a time: up to 15 bytes
  ;; past a line's end are read and past the last LF written, so 16 bytes after the region
  ;; and after out's length must be there. A call a line from JS (a copy of 52 bytes each,
  ;; 3.35M orphans of a 20M diff) took 0.35 s; this, a tenth of that.
  (func (export "gatherLines") (param $n i32) (param $picked i32) (param $starts i32) (param $ends i32) (param $bytes i32) (param $out i32) (result i32)
    (local $k i32) (local $line i32) (local $from i32) (local $to i32) (local $at i32) (local $end i32)
    (block $done
      (loop $lines
        (br_if $done (i32.ge_u (local.get $k) (local.get $n)))
        (local.set $line (i32.shl (i32.load (i32.add (local.get $picked) (i32.shl (local.get $k) (i32.const 2)))) (i32.const 2)))
        (local.set $from (i32.add (local.get $bytes) (i32.load (i32.add (local.get $starts) (local.get $line)))))
        (local.set $to (i32.add (local.get $bytes) (i32.load (i32.add (local.get $ends) (local.get $line)))))
        (local.set $end (i32.add (local.get $at) (i32.sub (local.get $to) (local.get $from))))
        (block $copied
          (loop $copy
            (br_if $copied (i32.ge_u (local.get $from) (local.get $to)))
            (v128.store (i32.add (local.get $out) (local.get $at)) (v128.load (local.get $from)))
            (local.set $from (i32.add (local.get $from) (i32.const 16)))
            (local.set $at (i32.add (local.get $at) (i32.const 16)))
            (br $copy)))
        (i32.store8 (i32.add (local.get $out) (local.get $end)) (i32.const 10))
        (i32.store (i32.add (local.get $picked) (i32.shl (local.get $k) (i32.const 2))) (local.get $end))
        (local.set $at (i32.add (local.get $end) (i32.const 1)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $lines)))
    (local.get $at))

;; The spill records of n fingerprints (16 bytes each at fps), grouped by partition (the first
  ;; word's top bits, a >>> shift; one partition when there is one) with a counting sort, in
  ;; their order within each: a reference's (record 0) is its fingerprint with state REFERENCE
  ;; (1) in the two low bits of its last word, a candidate's (1) its fingerprint and its place i
  ;; as an 8-byte ordinal, a numbered reference's (2) both; the partitions' first records,
  ;; partitions + 1 words, go to starts. As
  ;; routeRecords (spill/routed-records.ts), which took 0.6 s of each reading thread in a 20M
  ;; exact diff.
  (func (export "routeRecords") (param $n i32) (param $fps i32) (param $shift i32) (param $partitions i32) (param $record i32) (param $out i32) (param $starts i32)
    (local $i i32) (local $p i32) (local $at i32) (local $w i32) (local $sum i32) (local $count i32) (local $f v128)
    (memory.fill (local.get $starts) (i32.const 0) (i32.shl (i32.add (local.get $partitions) (i32.const 1)) (i32.const 2)))
    (if (i32.eq (local.get $partitions) (i32.const 1))
      (then (i32.store offset=4 (local.get $starts) (local.get $n)))
      (else
        (block $counted
          (loop $count
            (br_if $counted (i32.ge_u (local.get $i) (local.get $n)))
            (local.set $at (i32.add (local.get $starts) (i32.shl (i32.add (i32.shr_u (i32.load (i32.add (local.get $fps) (i32.shl (local.get $i) (i32.const 4)))) (local.get $shift)) (i32.const 1)) (i32.const 2))))
            (i32.store (local.get $at) (i32.add (i32.load (local.get $at)) (i32.const 1)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $count)))
        ;; Counts to starts: starts[p] becomes the records before partition p.
        (local.set $p (i32.const 0))
        (block $summed
          (loop $sum
            (br_if $summed (i32.gt_u (local.get $p) (local.get $partitions)))
            (local.set $at (i32.add (local.get $starts) (i32.shl (local.get $p) (i32.const 2))))
            (local.set $sum (i32.add (local.get $sum) (i32.load (local.get $at))))
            (i32.store (local.get $at) (local.get $sum))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $sum)))))
    ;; starts[p] moves along partition p while filling, and is put back after.
    (local.set $i (i32.const 0))
    (block $filled
      (loop $fill
        (br_if $filled (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $f (v128.load (i32.add (local.get $fps) (i32.shl (local.get $i) (i32.const 4)))))
        (local.set $at (local.get $starts))
        (if (i32.ne (local.get $partitions) (i32.const 1))
          (then (local.set $at (i32.add (local.get $starts) (i32.shl (i32.shr_u (i32x4.extract_lane 0 (local.get $f)) (local.get $shift)) (i32.const 2))))))
        (local.set $w (i32.load (local.get $at)))
        (i32.store (local.get $at) (i32.add (local.get $w) (i32.const 1)))
        (if (i32.ne (local.get $record) (i32.const 1))
          (then (local.set $f (i32x4.replace_lane 3 (local.get $f) (i32.or (i32.and (i32x4.extract_lane 3 (local.get $f)) (i32.const -4)) (i32.const 1))))))
        (if (local.get $record)
          (then
            (local.set $at (i32.add (local.get $out) (i32.mul (local.get $w) (i32.const 24))))
            (v128.store (local.get $at) (local.get $f))
            (i64.store offset=16 (local.get $at) (i64.extend_i32_u (local.get $i))))
          (else
            (v128.store (i32.add (local.get $out) (i32.shl (local.get $w) (i32.const 4))) (local.get $f))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $fill)))
    (memory.copy (i32.add (local.get $starts) (i32.const 4)) (local.get $starts) (i32.shl (local.get $partitions) (i32.const 2)))
    (i32.store (local.get $starts) (i32.const 0)))

  (func (export "fingerprint") (param $n i32) (param $offsets i32) (param $step i32) (param $bytes i32) (param $out i32)
    (call $fingerprintAll (local.get $n) (local.get $offsets) (local.get $step) (i32.const 4) (local.get $bytes) (local.get $out)))

  ;; As "fingerprint" for lines where splitLines left them: line i is bytes[starts[i], ends[i]).
  (func (export "fingerprintLines") (param $n i32) (param $starts i32) (param $ends i32) (param $bytes i32) (param $out i32)
    (call $fingerprintAll (local.get $n) (local.get $starts) (i32.const 4) (i32.sub (local.get $ends) (local.get $starts)) (local.get $bytes) (local.get $out)))

  (func (export "hash") (param $n i32) (param $offsets i32) (param $step i32) (param $bytes i32) (param $out i32) (param $seed i32)
    (call $hashAll (local.get $n) (local.get $offsets) (local.get $step) (i32.const 4) (local.get $bytes) (local.get $out) (i64.extend_i32_u (local.get $seed))))

  ;; As "hash" (seed 0) for lines where splitLines left them.
  (func (export "hashLines") (param $n i32) (param $starts i32) (param $ends i32) (param $bytes i32) (param $out i32)
    (call $hashAll (local.get $n) (local.get $starts) (i32.const 4) (i32.sub (local.get $ends) (local.get $starts)) (local.get $bytes) (local.get $out) (i64.const 0)))

  ;; `scratch` holds 8 bytes per key: the hashes, between the passes.
  (func (export "add") (param $n i32) (param $offsets i32) (param $step i32) (param $bytes i32) (param $filter i32) (param $blocks i32) (param $scratch i32)
    (call $hashAll (local.get $n) (local.get $offsets) (local.get $step) (i32.const 4) (local.get $bytes) (local.get $scratch) (i64.const 0))
    (drop (call $touchAll (local.get $n) (local.get $scratch) (i32.const 8) (local.get $filter) (local.get $blocks)))
    (call $setAll (local.get $n) (local.get $scratch) (i32.const 8) (local.get $filter) (local.get $blocks)))

  ;; out[i] = 1 when key i may be in the filter, 0 when it certainly is not. `out` holds 8
  ;; bytes per key: the hashes, between the passes.
  (func (export "check") (param $n i32) (param $offsets i32) (param $step i32) (param $bytes i32) (param $filter i32) (param $blocks i32) (param $out i32)
    (call $hashAll (local.get $n) (local.get $offsets) (local.get $step) (i32.const 4) (local.get $bytes) (local.get $out) (i64.const 0))
    (drop (call $touchAll (local.get $n) (local.get $out) (i32.const 8) (local.get $filter) (local.get $blocks)))
    (call $testAll (local.get $n) (local.get $out) (i32.const 8) (local.get $filter) (local.get $blocks) (local.get $out)))

  ;; As "add" and "check", for keys already hashed: key i's hash is the 8 bytes at
  ;; hashes + i * stride, laid out as $hashAll writes them (a fingerprint's first half, with a
  ;; stride of 16: another thread fingerprinted the keys).
  (func (export "addHashes") (param $n i32) (param $hashes i32) (param $stride i32) (param $filter i32) (param $blocks i32)
    (drop (call $touchAll (local.get $n) (local.get $hashes) (local.get $stride) (local.get $filter) (local.get $blocks)))
    (call $setAll (local.get $n) (local.get $hashes) (local.get $stride) (local.get $filter) (local.get $blocks)))

  ;; As "addHashes", for a filter that other threads add to at the same time ($setAllAtomic).
  (func (export "addHashesAtomic") (param $n i32) (param $hashes i32) (param $stride i32) (param $filter i32) (param $blocks i32)
    (drop (call $touchAll (local.get $n) (local.get $hashes) (local.get $stride) (local.get $filter) (local.get $blocks)))
    (call $setAllAtomic (local.get $n) (local.get $hashes) (local.get $stride) (local.get $filter) (local.get $blocks)))

  (func (export "checkHashes") (param $n i32) (param $hashes i32) (param $stride i32) (param $filter i32) (param $blocks i32) (param $out i32)
    (drop (call $touchAll (local.get $n) (local.get $hashes) (local.get $stride) (local.get $filter) (local.get $blocks)))
    (call $testAll (local.get $n) (local.get $hashes) (local.get $stride) (local.get $filter) (local.get $blocks) (local.get $out))))
