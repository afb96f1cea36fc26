//! The trainer's heap, counted and, when it cannot grow, refused in words.
//!
//! The worker's global allocator ([`Counted`], installed in `web/worker.rs`) wraps the system one
//! to count the bytes live allocations hold — the page shows them beside the heap's size, which
//! only ever grows (a WebAssembly memory never shrinks) — and to say when an allocation is
//! refused. A refused allocation ends the module (Rust aborts: in wasm an `unreachable` trap,
//! which reaches the page as a bare `RuntimeError`); the allocator keeps what it refused
//! ([`Counted::refused`]), and the worker's error handler, which runs after the trap, tells the
//! page how much was asked for and how much was in use, so that the page can say "the trainer ran
//! out of memory", keep the last autosave and offer a smaller batch (`PageState::out_of_memory`).
//! Nothing is reported from inside the allocator: it may be called while anything is borrowed.
//!
//! A heap limit ([`Counted::limit`]) refuses what would take the live bytes past it, as a browser
//! that will not grow the heap further would: the worker sets it from `self.padHeapLimit`
//! (bytes), which a prelude script may define before the worker starts — how the end-to-end test
//! plays a small device. Unset, nothing is refused but what the system allocator refuses.
//!
//! One caveat: an allocation that its caller could have survived (`try_reserve`) is recorded all
//! the same; the trainer's code makes none that large.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// A refused allocation: what was asked for, and what live allocations held then (bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub asked: usize,
    pub in_use: usize,
}

/// The system allocator, counted (see the module's doc).
pub struct Counted {
    in_use: AtomicUsize,
    peak: AtomicUsize,
    most: AtomicUsize,
    limit: AtomicUsize,
    /// The latest refusal: the size asked for (0: none yet) and the bytes in use then.
    refused: (AtomicUsize, AtomicUsize),
}

impl Counted {
    pub const fn new() -> Self {
        Self {
            in_use: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
            most: AtomicUsize::new(0),
            limit: AtomicUsize::new(usize::MAX),
            refused: (AtomicUsize::new(0), AtomicUsize::new(0)),
        }
    }

    /// Bytes held by live allocations (as asked for: the allocator's own overhead is not counted).
    pub fn in_use(&self) -> usize {
        self.in_use.load(Relaxed)
    }

    /// The most bytes live allocations held at once since the last call (then: what they hold now).
    pub fn take_peak(&self) -> usize {
        self.peak.swap(self.in_use(), Relaxed).max(self.in_use())
    }

    /// The most bytes live allocations ever held at once (what the heap had to grow to, less the
    /// allocator's fragmentation).
    pub fn most(&self) -> usize {
        self.most.load(Relaxed)
    }

    /// Refuse what would take the live bytes past `bytes`.
    pub fn limit(&self, bytes: usize) {
        self.limit.store(bytes, Relaxed);
    }

    /// The latest allocation refused, if any.
    pub fn refused(&self) -> Option<Refusal> {
        let asked = self.refused.0.load(Relaxed);
        (asked > 0).then(|| Refusal { asked, in_use: self.refused.1.load(Relaxed) })
    }

    /// Within the limit with `more` bytes more.
    fn fits(&self, more: usize) -> bool {
        self.in_use().saturating_add(more) <= self.limit.load(Relaxed)
    }

    fn refuse(&self, asked: usize) -> *mut u8 {
        self.refused.1.store(self.in_use(), Relaxed);
        self.refused.0.store(asked.max(1), Relaxed);
        std::ptr::null_mut()
    }

    fn counted(&self, p: *mut u8, size: usize) -> *mut u8 {
        if p.is_null() {
            return self.refuse(size);
        }
        let now = self.in_use.fetch_add(size, Relaxed) + size;
        self.peak.fetch_max(now, Relaxed);
        self.most.fetch_max(now, Relaxed);
        p
    }
}

impl Default for Counted {
    fn default() -> Self {
        Self::new()
    }
}

// SAFETY: every call is passed to `System` with the caller's own arguments; the wrapper only
// counts sizes and returns null (never unwinding) where it refuses, as `GlobalAlloc` allows.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counted {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if !self.fits(layout.size()) {
            return self.refuse(layout.size());
        }
        // SAFETY: the caller's layout, as `GlobalAlloc::alloc` requires.
        self.counted(unsafe { System.alloc(layout) }, layout.size())
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if !self.fits(layout.size()) {
            return self.refuse(layout.size());
        }
        // SAFETY: as `alloc`.
        self.counted(unsafe { System.alloc_zeroed(layout) }, layout.size())
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` (through this wrapper) with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        self.in_use.fetch_sub(layout.size(), Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() && !self.fits(new_size - layout.size()) {
            return self.refuse(new_size);
        }
        // SAFETY: the caller's block and sizes, as `GlobalAlloc::realloc` requires.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if p.is_null() {
            return self.refuse(new_size); // the old block is still the caller's
        }
        self.in_use.fetch_sub(layout.size(), Relaxed);
        self.counted(p, new_size)
    }
}

#[cfg(test)]
#[allow(unsafe_code)] // calls the allocator directly, as Rust's collections do
mod tests {
    use super::*;

    #[test]
    fn counts_live_bytes_and_refuses_past_the_limit_in_words() {
        let heap = Counted::new();
        let small = Layout::from_size_align(1000, 8).unwrap();
        // SAFETY: layouts of non-zero size; each block is freed with its own layout.
        unsafe {
            let a = heap.alloc(small);
            let b = heap.alloc_zeroed(small);
            assert!(!a.is_null() && !b.is_null());
            assert_eq!(heap.in_use(), 2000);
            let a = heap.realloc(a, small, 3000);
            assert_eq!(heap.in_use(), 4000);
            assert_eq!(heap.take_peak(), 4000);
            heap.limit(5000);
            assert_eq!(heap.refused(), None);
            assert!(heap.alloc(Layout::from_size_align(1001, 8).unwrap()).is_null(), "past the limit");
            assert_eq!(heap.refused(), Some(Refusal { asked: 1001, in_use: 4000 }));
            assert!(heap.realloc(b, small, 2001).is_null(), "a block grown past the limit");
            assert_eq!(heap.refused(), Some(Refusal { asked: 2001, in_use: 4000 }), "the latest");
            assert_eq!(heap.in_use(), 4000, "refusals hold nothing; the old block stays");
            let c = heap.alloc(Layout::from_size_align(1000, 8).unwrap());
            assert!(!c.is_null(), "up to the limit is allowed");
            heap.dealloc(c, small);
            heap.dealloc(a, Layout::from_size_align(3000, 8).unwrap());
            heap.dealloc(b, small);
        }
        assert_eq!(heap.in_use(), 0);
        assert_eq!(heap.take_peak(), 5000, "the most held at once");
        assert_eq!(heap.take_peak(), 0, "since the last reading");
        assert_eq!(heap.most(), 5000, "ever");
    }
}
