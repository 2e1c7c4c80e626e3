//! State-vector allocation. A large state is touched first by all cores at
//! once, and on Linux asks for transparent huge pages (2 MiB) so that a
//! 2^24-amplitude state takes 128 page faults instead of 65,536 — a
//! noticeable share of a whole run otherwise.

use rayon::prelude::*;

use super::complex::C64;

/// Amplitudes per task of the parallel first touch (1 MiB).
const TOUCH_CHUNK: usize = 1 << 16;

/// A state of `len` zero amplitudes.
pub fn zeroed(len: usize, parallel: bool) -> Vec<C64> {
    let mut amps: Vec<C64> = Vec::with_capacity(len);
    advise_huge_pages(amps.as_mut_ptr().cast(), len * size_of::<C64>());
    let spare = &mut amps.spare_capacity_mut()[..len];
    let zero = |chunk: &mut [std::mem::MaybeUninit<C64>]| {
        chunk.iter_mut().for_each(|x| {
            x.write(C64::ZERO);
        })
    };
    if parallel {
        spare.par_chunks_mut(TOUCH_CHUNK).for_each(zero);
    } else {
        zero(spare);
    }
    // SAFETY: the loop above initialised all `len` elements, and the
    // capacity is at least `len`.
    unsafe { amps.set_len(len) };
    amps
}

/// A copy of `amps`, allocated like [`zeroed`].
pub fn copy(amps: &[C64], parallel: bool) -> Vec<C64> {
    let mut out = zeroed(amps.len(), parallel);
    if parallel {
        out.par_chunks_mut(TOUCH_CHUNK)
            .zip(amps.par_chunks(TOUCH_CHUNK))
            .for_each(|(o, a)| o.copy_from_slice(a));
    } else {
        out.copy_from_slice(amps);
    }
    out
}

/// Asks the kernel to back `[ptr, ptr + bytes)` with huge pages. Advice
/// only: it changes no contents and failure is harmless.
#[cfg(target_os = "linux")]
fn advise_huge_pages(ptr: *mut u8, bytes: usize) {
    const HUGE: usize = 2 << 20;
    if bytes < 2 * HUGE {
        return;
    }
    let page = 4096;
    let start = (ptr as usize).next_multiple_of(page);
    let end = (ptr as usize + bytes) & !(page - 1);
    // SAFETY: the range lies inside an allocation this process owns;
    // MADV_HUGEPAGE does not change its contents or its validity.
    unsafe {
        libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge_pages(_ptr: *mut u8, _bytes: usize) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zeroed_and_copied_states_hold_what_they_should() {
        for (len, parallel) in [(1, false), (1 << 20, true), (1 << 20, false)] {
            let mut amps = zeroed(len, parallel);
            assert_eq!(amps.len(), len);
            assert!(amps.iter().all(|a| *a == C64::ZERO));
            amps[len - 1] = C64::I;
            let copied = copy(&amps, parallel);
            assert_eq!(copied, amps);
        }
    }
}
