;; The drain's hash table: a spill partition's reference records go in, then its candidate
;; records are looked up, the orphans among them noted. The same table as FingerprintTable
;; (fingerprint-table.ts) without payloads: 16-byte slots, the fingerprint's four words with
;; the slot's state in the two low bits of the fourth (EMPTY 0, REFERENCE 1, MATCHED 2,
;; EMITTED 3), linear probing from the home slot ((b ^ (d & -4)) * capacity) >>> 32. As i64
;; words a slot is lo = a | b << 32 and hi = c | d << 32, so a key compares in two loads.
;; Records are spill records (records.ts): a reference is 16 bytes (its state in d), a
;; candidate or a numbered reference 24 (its ordinal's 8 bytes after the fingerprint).
;; Each call first touches the home slots of a run of records (a loop of independent loads,
;; so that the CPU has many cache misses in flight), then settles the run.
;; Assembled by packages/core/scripts/assemble-wasm.ts into drain-wasm.ts (base64).
(module
  (import "env" "memory" (memory 1))
  ;; The XOR of the touches' loads, kept so that they are not optimised away.
  (global $touched (mut i32) (i32.const 0))

  ;; Adds `n` reference records at `records`, `stride` bytes apart (16, or 24 when numbered),
  ;; to the table; a record already there only passes on MATCHED (a reference matched before
  ;; the spill). Records in state EMPTY are skipped, so that a table's slots can be added to a
  ;; larger one. The caller leaves room for n more slots. Returns the slots filled.
  (func (export "load") (param $records i32) (param $n i32) (param $stride i32) (param $table i32) (param $capacity i32) (result i32)
    (local $r i32) (local $stop i32) (local $run i32) (local $lo i64) (local $hi i64) (local $key i64)
    (local $state i64) (local $slot i32) (local $at i32) (local $s i64) (local $added i32) (local $cap i64) (local $x i32)
    (local.set $cap (i64.extend_i32_u (local.get $capacity)))
    (local.set $r (local.get $records))
    (local.set $stop (i32.add (local.get $records) (i32.mul (local.get $n) (local.get $stride))))
    (block $done
      (loop $runs
        (br_if $done (i32.ge_u (local.get $r) (local.get $stop)))
        (local.set $run (i32.add (local.get $r) (i32.shl (local.get $stride) (i32.const 8))))
        (if (i32.gt_u (local.get $run) (local.get $stop)) (then (local.set $run (local.get $stop))))
        (local.set $at (local.get $r))
        (block $touched
          (loop $touch
            (br_if $touched (i32.ge_u (local.get $at) (local.get $run)))
            (local.set $x (i32.xor (local.get $x) (i32.load offset=12 (i32.add (local.get $table) (i32.shl
              (i32.wrap_i64 (i64.shr_u (i64.mul (i64.extend_i32_u (i32.xor (i32.load offset=4 (local.get $at)) (i32.and (i32.load offset=12 (local.get $at)) (i32.const -4)))) (local.get $cap)) (i64.const 32)))
              (i32.const 4))))))
            (local.set $at (i32.add (local.get $at) (local.get $stride)))
            (br $touch)))
        (block $settled
          (loop $next
            (br_if $settled (i32.ge_u (local.get $r) (local.get $run)))
            (local.set $lo (i64.load (local.get $r)))
            (local.set $hi (i64.load offset=8 (local.get $r)))
            (local.set $state (i64.and (i64.shr_u (local.get $hi) (i64.const 32)) (i64.const 3)))
            (local.set $key (i64.and (local.get $hi) (i64.const 0xfffffffcffffffff)))
            (if (i64.ne (local.get $state) (i64.const 0))
              (then
                (local.set $slot (i32.wrap_i64 (i64.shr_u (i64.mul (i64.extend_i32_u (i32.xor (i32.wrap_i64 (i64.shr_u (local.get $lo) (i64.const 32))) (i32.wrap_i64 (i64.shr_u (local.get $key) (i64.const 32))))) (local.get $cap)) (i64.const 32))))
                (block $placed
                  (loop $probe
                    (local.set $at (i32.add (local.get $table) (i32.shl (local.get $slot) (i32.const 4))))
                    (local.set $s (i64.load offset=8 (local.get $at)))
                    (if (i64.eqz (i64.and (local.get $s) (i64.const 0x300000000)))
                      (then
                        (i64.store (local.get $at) (local.get $lo))
                        (i64.store offset=8 (local.get $at) (i64.or (local.get $key) (i64.shl (local.get $state) (i64.const 32))))
                        (local.set $added (i32.add (local.get $added) (i32.const 1)))
                        (br $placed)))
                    (if (i32.and (i64.eq (i64.and (local.get $s) (i64.const 0xfffffffcffffffff)) (local.get $key)) (i64.eq (i64.load (local.get $at)) (local.get $lo)))
                      (then
                        (if (i64.eq (local.get $state) (i64.const 2))
                          (then (i64.store offset=8 (local.get $at) (i64.or (local.get $key) (i64.const 0x200000000)))))
                        (br $placed)))
                    (local.set $slot (i32.add (local.get $slot) (i32.const 1)))
                    (if (i32.eq (local.get $slot) (local.get $capacity)) (then (local.set $slot (i32.const 0))))
                    (br $probe)))))
            (local.set $r (i32.add (local.get $r) (local.get $stride)))
            (br $next)))
        (br $runs)))
    (global.set $touched (i32.xor (global.get $touched) (local.get $x)))
    (local.get $added))

  ;; Looks up `n` candidate records at `records`: a match with a REFERENCE makes it MATCHED;
  ;; a candidate not there is an orphan, added as EMITTED (so that its repeats are not) and
  ;; its ordinal's 8 bytes written to `out`. Stops early when `room` orphans were added
  ;; (the table is then as full as it may get). Stores the orphans' count at `counts` and
  ;; returns the records looked up.
  (func (export "probe") (param $records i32) (param $n i32) (param $table i32) (param $capacity i32) (param $room i32) (param $out i32) (param $counts i32) (result i32)
    (local $r i32) (local $stop i32) (local $run i32) (local $lo i64) (local $hi i64) (local $key i64)
    (local $slot i32) (local $at i32) (local $s i64) (local $orphans i32) (local $cap i64) (local $x i32)
    (local.set $cap (i64.extend_i32_u (local.get $capacity)))
    (local.set $r (local.get $records))
    (local.set $stop (i32.add (local.get $records) (i32.mul (local.get $n) (i32.const 24))))
    (block $done
      (loop $runs
        (br_if $done (i32.ge_u (local.get $r) (local.get $stop)))
        (local.set $run (i32.add (local.get $r) (i32.const 6144)))
        (if (i32.gt_u (local.get $run) (local.get $stop)) (then (local.set $run (local.get $stop))))
        (local.set $at (local.get $r))
        (block $touched
          (loop $touch
            (br_if $touched (i32.ge_u (local.get $at) (local.get $run)))
            (local.set $x (i32.xor (local.get $x) (i32.load offset=12 (i32.add (local.get $table) (i32.shl
              (i32.wrap_i64 (i64.shr_u (i64.mul (i64.extend_i32_u (i32.xor (i32.load offset=4 (local.get $at)) (i32.and (i32.load offset=12 (local.get $at)) (i32.const -4)))) (local.get $cap)) (i64.const 32)))
              (i32.const 4))))))
            (local.set $at (i32.add (local.get $at) (i32.const 24)))
            (br $touch)))
        (block $settled
          (loop $next
            (br_if $settled (i32.ge_u (local.get $r) (local.get $run)))
            (local.set $lo (i64.load (local.get $r)))
            (local.set $hi (i64.load offset=8 (local.get $r)))
            (local.set $key (i64.and (local.get $hi) (i64.const 0xfffffffcffffffff)))
            (local.set $slot (i32.wrap_i64 (i64.shr_u (i64.mul (i64.extend_i32_u (i32.xor (i32.wrap_i64 (i64.shr_u (local.get $lo) (i64.const 32))) (i32.wrap_i64 (i64.shr_u (local.get $key) (i64.const 32))))) (local.get $cap)) (i64.const 32))))
            (block $found
              (loop $probe
                (local.set $at (i32.add (local.get $table) (i32.shl (local.get $slot) (i32.const 4))))
                (local.set $s (i64.load offset=8 (local.get $at)))
                (if (i64.eqz (i64.and (local.get $s) (i64.const 0x300000000)))
                  (then
                    (br_if $done (i32.eq (local.get $orphans) (local.get $room)))
                    (i64.store (local.get $at) (local.get $lo))
                    (i64.store offset=8 (local.get $at) (i64.or (local.get $key) (i64.const 0x300000000)))
                    (i64.store (i32.add (local.get $out) (i32.shl (local.get $orphans) (i32.const 3))) (i64.load offset=16 (local.get $r)))
                    (local.set $orphans (i32.add (local.get $orphans) (i32.const 1)))
                    (br $found)))
                (if (i32.and (i64.eq (i64.and (local.get $s) (i64.const 0xfffffffcffffffff)) (local.get $key)) (i64.eq (i64.load (local.get $at)) (local.get $lo)))
                  (then
                    (if (i64.eq (i64.and (local.get $s) (i64.const 0x300000000)) (i64.const 0x100000000))
                      (then (i64.store offset=8 (local.get $at) (i64.or (local.get $key) (i64.const 0x200000000)))))
                    (br $found)))
                (local.set $slot (i32.add (local.get $slot) (i32.const 1)))
                (if (i32.eq (local.get $slot) (local.get $capacity)) (then (local.set $slot (i32.const 0))))
                (br $probe)))
            (local.set $r (i32.add (local.get $r) (i32.const 24)))
            (br $next)))
        (br $runs)))
    (global.set $touched (i32.xor (global.get $touched) (local.get $x)))
    (i32.store (local.get $counts) (local.get $orphans))
    (i32.div_u (i32.sub (local.get $r) (local.get $records)) (i32.const 24)))

  ;; After the probes, the ordinals of `n` numbered reference records at `records` (24 bytes
  ;; each) whose slots are still REFERENCE, no candidate having matched them, go to `out` (8
  ;; bytes each), and each such slot becomes EMITTED, so that a reference the partition repeats
  ;; is written once. Returns the ordinals written.
  (func (export "missing") (param $records i32) (param $n i32) (param $table i32) (param $capacity i32) (param $out i32) (result i32)
    (local $r i32) (local $stop i32) (local $lo i64) (local $key i64) (local $slot i32) (local $at i32) (local $s i64) (local $count i32) (local $cap i64)
    (local.set $cap (i64.extend_i32_u (local.get $capacity)))
    (local.set $r (local.get $records))
    (local.set $stop (i32.add (local.get $records) (i32.mul (local.get $n) (i32.const 24))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $r) (local.get $stop)))
        (local.set $lo (i64.load (local.get $r)))
        (local.set $key (i64.and (i64.load offset=8 (local.get $r)) (i64.const 0xfffffffcffffffff)))
        (local.set $slot (i32.wrap_i64 (i64.shr_u (i64.mul (i64.extend_i32_u (i32.xor (i32.wrap_i64 (i64.shr_u (local.get $lo) (i64.const 32))) (i32.wrap_i64 (i64.shr_u (local.get $key) (i64.const 32))))) (local.get $cap)) (i64.const 32))))
        (block $found
          (loop $probe
            (local.set $at (i32.add (local.get $table) (i32.shl (local.get $slot) (i32.const 4))))
            (local.set $s (i64.load offset=8 (local.get $at)))
            (br_if $found (i64.eqz (i64.and (local.get $s) (i64.const 0x300000000))))
            (if (i32.and (i64.eq (i64.and (local.get $s) (i64.const 0xfffffffcffffffff)) (local.get $key)) (i64.eq (i64.load (local.get $at)) (local.get $lo)))
              (then
                (if (i64.eq (i64.and (local.get $s) (i64.const 0x300000000)) (i64.const 0x100000000))
                  (then
                    (i64.store offset=8 (local.get $at) (i64.or (local.get $key) (i64.const 0x300000000)))
                    (i64.store (i32.add (local.get $out) (i32.shl (local.get $count) (i32.const 3))) (i64.load offset=16 (local.get $r)))
                    (local.set $count (i32.add (local.get $count) (i32.const 1)))))
                (br $found)))
            (local.set $slot (i32.add (local.get $slot) (i32.const 1)))
            (if (i32.eq (local.get $slot) (local.get $capacity)) (then (local.set $slot (i32.const 0))))
            (br $probe)))
        (local.set $r (i32.add (local.get $r) (i32.const 24)))
        (br $next)))
    (local.get $count))

  ;; The slots of the table (`capacity` of them) still in state REFERENCE: references no
  ;; candidate matched, the missing keys' count when only that is wanted.
  (func (export "unmatched") (param $table i32) (param $capacity i32) (result i32)
    (local $at i32) (local $stop i32) (local $n i32)
    (local.set $at (local.get $table))
    (local.set $stop (i32.add (local.get $table) (i32.shl (local.get $capacity) (i32.const 4))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $at) (local.get $stop)))
        (local.set $n (i32.add (local.get $n) (i32.eq (i32.and (i32.load offset=12 (local.get $at)) (i32.const 3)) (i32.const 1))))
        (local.set $at (i32.add (local.get $at) (i32.const 16)))
        (br $next)))
    (local.get $n)))
