//! Backs the heap with transparent huge pages, so that building syntax trees does not spend
//! its time in page faults.
//!
//! Editing the 10,700-line benchmark flake builds two syntax trees of a few hundred thousand
//! small nodes each (rnix's, then the strict parser's), about 33 MiB at the peak. With 4 KiB
//! pages that is some 9,000 page faults, a third of `overlay add`'s wall time on this VM.
//! glibc can ask for huge pages itself (`GLIBC_TUNABLES=glibc.malloc.hugetlb=1`), but only
//! when that is set before the process starts. [`prefer_huge_pages`] does the same from
//! inside: it lets glibc reserve its heap in one 1 GiB step of address space, with large
//! blocks from that heap too, and advises the kernel (`MADV_HUGEPAGE`) to back the range with
//! 2 MiB pages. The kernel follows the advice when transparent huge pages are in `madvise` or
//! `always` mode and ignores it otherwise. Untouched pages cost address space, not memory. The
//! measurements are in BENCHMARKS.md (mimalloc, used before, was as fast but needed 57 MiB
//! instead of 38 at the peak).

/// The address space the heap reserves in one step, and whose pages are advised. Only what is
/// touched becomes memory: the 10,700-line benchmark flake touches about 38 MiB of it, ten
/// times that file about 320 MiB.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const HEAP_STEP: libc::c_int = 1 << 30;

/// Blocks from this size on get their own mapping, as glibc does by default from 128 KiB on;
/// 32 MiB is the largest threshold glibc accepts on 64-bit systems. Below it, large buffers
/// (file text, long vectors) come from the advised heap too.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: libc::c_int = 32 << 20;

/// glibc's defaults, restored when the heap cannot grow in place.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const DEFAULT_PAD: libc::c_int = 128 << 10;

/// The size of a transparent huge page on x86_64 and aarch64 (4 KiB base pages).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const HUGE_PAGE: usize = 2 << 20;

/// Best effort: on anything but Linux with glibc, or when the heap cannot grow in place (a
/// `ulimit -v`, strict overcommit), the process runs with glibc's usual settings and ordinary
/// pages. Call it first thing in `main`: the advice covers the heap as it grows in this call,
/// and the process uses a single allocation arena so that the strict parser's thread
/// allocates in the advised range as well.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn prefer_huge_pages() {
    use libc::c_void;
    // SAFETY: mallopt, mallinfo2, sbrk(0), malloc, free and madvise are called as glibc
    // documents them. sbrk(0) only reads the program break. madvise(MADV_HUGEPAGE) changes no
    // contents, and it is given a page-aligned range inside the heap that glibc has just
    // grown, so it touches no other mapping.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
        if libc::mallopt(libc::M_TOP_PAD, HEAP_STEP) == 0 {
            return;
        }
        libc::mallopt(libc::M_TRIM_THRESHOLD, HEAP_STEP);
        let before = libc::sbrk(0) as usize;
        // A block larger than the free space at the top of the heap makes glibc grow the heap
        // now, by the block plus HEAP_STEP. (black_box: the compiler may otherwise drop a
        // malloc whose block is only freed.)
        let block = std::hint::black_box(libc::malloc(libc::mallinfo2().keepcost + 4096));
        let after = libc::sbrk(0) as usize;
        let start = before.next_multiple_of(HUGE_PAGE);
        if !block.is_null() && before != usize::MAX && after > start {
            libc::madvise(start as *mut c_void, after - start, libc::MADV_HUGEPAGE);
        } else {
            // The heap did not grow in place: glibc mapped the block elsewhere or failed. Do
            // not ask for a reservation on every later growth.
            libc::mallopt(libc::M_TOP_PAD, DEFAULT_PAD);
            libc::mallopt(libc::M_TRIM_THRESHOLD, DEFAULT_PAD);
        }
        libc::free(block);
    }
}

/// Other platforms keep their allocator's defaults.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn prefer_huge_pages() {}
