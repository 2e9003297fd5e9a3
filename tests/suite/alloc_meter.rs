//! A counting allocator for the test binary: the bytes each thread holds and the most it has
//! held, so the fuzz harness can bound the memory one input costs (tests run on several
//! threads; each thread's counters see only its own allocations).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

pub struct Meter;

thread_local! {
    static CURRENT: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
    /// When not zero, the most this thread may hold: past it the process aborts, so that a
    /// runaway allocation is reported instead of exhausting the machine.
    static LIMIT: Cell<usize> = const { Cell::new(0) };
}

fn grew(by: usize) {
    let _ = CURRENT.try_with(|c| {
        let now = c.get() + by;
        c.set(now);
        let _ = PEAK.try_with(|p| p.set(p.get().max(now)));
        let _ = LIMIT.try_with(|l| {
            if l.get() != 0 && now > l.get() {
                l.set(0);
                eprintln!("alloc_meter: a thread holds {now} bytes, over its limit: aborting");
                std::process::abort();
            }
        });
    });
}

fn shrank(by: usize) {
    let _ = CURRENT.try_with(|c| c.set(c.get().saturating_sub(by)));
}

// SAFETY: every call is forwarded to the system allocator unchanged; the counters are
// const-initialised thread-locals without destructors, which never allocate.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Meter {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        shrank(layout.size());
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() {
            grew(new_size - layout.size());
        } else {
            shrank(layout.size() - new_size);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Runs `f` and returns its result with the most bytes this thread held above what it held
/// before; holding more than `limit` bytes above that aborts the process.
pub fn peak_during<T>(limit: usize, f: impl FnOnce() -> T) -> (T, usize) {
    let base = CURRENT.with(Cell::get);
    PEAK.with(|p| p.set(base));
    LIMIT.with(|l| l.set(base.saturating_add(limit)));
    let out = f();
    LIMIT.with(|l| l.set(0));
    let peak = PEAK.with(Cell::get);
    (out, peak.saturating_sub(base))
}
