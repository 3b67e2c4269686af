//! Sixteen-byte classification for the quoted-printable fast paths: which bytes of a block are special.
//!
//! On x86_64 this is SSE2 (part of the base instruction set, so no runtime detection); elsewhere the same
//! masks are computed byte by byte. Each function returns a bit mask, bit `i` for byte `i` of the block.

/// Bytes equal to `a` or `b`.
#[inline(always)]
pub fn eq2(block: &[u8; 16], a: u8, b: u8) -> u32 {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::*;
        // SAFETY: SSE2 is part of x86_64; the load is unaligned and reads exactly the 16 bytes of `block`.
        unsafe {
            let x = _mm_loadu_si128(block.as_ptr().cast());
            let m = _mm_or_si128(
                _mm_cmpeq_epi8(x, _mm_set1_epi8(a as i8)),
                _mm_cmpeq_epi8(x, _mm_set1_epi8(b as i8)),
            );
            _mm_movemask_epi8(m) as u32
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        mask(block, |x| x == a || x == b)
    }
}

/// Bytes a quoted-printable line cannot carry literally: controls other than tab, DEL, 8-bit bytes and `=`.
/// (Space and tab are literal inside a line; at its end the encoder deals with them separately.)
#[inline(always)]
pub fn qp_unsafe(block: &[u8; 16]) -> u32 {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::*;
        // SAFETY: as in `eq2`.
        unsafe {
            let x = _mm_loadu_si128(block.as_ptr().cast());
            // Signed: 0x80..=0xFF are negative, so one compare catches them and the controls.
            let low = _mm_cmplt_epi8(x, _mm_set1_epi8(0x20));
            let tab = _mm_cmpeq_epi8(x, _mm_set1_epi8(b'\t' as i8));
            let del = _mm_cmpeq_epi8(x, _mm_set1_epi8(0x7f));
            let eq = _mm_cmpeq_epi8(x, _mm_set1_epi8(b'=' as i8));
            let m = _mm_or_si128(_mm_andnot_si128(tab, low), _mm_or_si128(del, eq));
            _mm_movemask_epi8(m) as u32
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        mask(block, |x| {
            (x < 0x20 && x != b'\t') || x >= 0x7f || x == b'='
        })
    }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn mask(block: &[u8; 16], f: impl Fn(u8) -> bool) -> u32 {
    block
        .iter()
        .enumerate()
        .fold(0, |m, (i, &x)| m | (u32::from(f(x)) << i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_match_the_definitions() {
        for start in (0..256).step_by(16) {
            let mut block = [0u8; 16];
            for (i, b) in block.iter_mut().enumerate() {
                *b = (start + i) as u8;
            }
            let want_eq: u32 = (0..16)
                .filter(|&i| block[i] == b'=' || block[i] == b'\n')
                .map(|i| 1 << i)
                .sum();
            let want_qp: u32 = (0..16)
                .filter(|&i| {
                    let x = block[i];
                    (x < 0x20 && x != b'\t') || x >= 0x7f || x == b'='
                })
                .map(|i| 1 << i)
                .sum();
            assert_eq!(eq2(&block, b'=', b'\n'), want_eq, "block at {start}");
            assert_eq!(qp_unsafe(&block), want_qp, "block at {start}");
        }
    }
}
