//! The memory of one QuickJS runtime in one fixed, private mapping, so that the whole engine state
//! can be saved as bytes and put back: a [`Region`] is the runtime's allocator (QuickJS asks it for
//! every byte it uses, the `JSRuntime` itself included), and an [`Image`] is a copy of the part of
//! it in use. Restoring an image returns the engine, byte for byte, to the moment it was taken.
//!
//! The allocator keeps all of its own state (the bump offset and the free lists) inside the
//! mapping, so an image holds it too. Blocks are carved from the bottom up; a freed block goes
//! to the free list of its size class and is reused for the same class.
//!
//! Not for: deciding when to save or restore (see `pool`).

use std::ptr::NonNull;

/// Every block starts with this many bytes holding its capacity; user data is 16-byte aligned.
const HEADER: usize = 16;

/// Classes up to this size are multiples of 16 bytes; above it, four classes per power of two.
const SMALL_LIMIT: usize = 1024;
const SMALL_CLASSES: usize = SMALL_LIMIT / 16;
const CLASSES: usize = SMALL_CLASSES + 4 * 54;

/// The allocator's own state, at the start of the mapping (so images include it).
#[repr(C)]
struct State {
    /// Offset of the first byte never handed out.
    bump: usize,
    /// Set when a block was refused for want of room (the image holds it clear).
    exhausted: bool,
    /// Offset of the first free block of each class (0: none). A free block's first user word
    /// holds the offset of the next one.
    free: [usize; CLASSES],
}

const STATE_BYTES: usize = std::mem::size_of::<State>().next_multiple_of(HEADER);

/// A private anonymous mapping used as one runtime's heap.
pub struct Region {
    base: NonNull<u8>,
    capacity: usize,
}

/// The bytes of a region in use at one moment.
pub struct Image {
    bytes: Box<[u8]>,
}

impl Image {
    /// Bytes in the image.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }
}

impl Region {
    /// Reserves `capacity` bytes of address space; pages are only backed once touched.
    pub fn reserve(capacity: usize) -> Option<Self> {
        // SAFETY: an anonymous private mapping with no address hint; the result is checked.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                capacity,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return None;
        }
        let base = NonNull::new(ptr.cast::<u8>())?;
        let region = Self { base, capacity };
        // SAFETY: the mapping is fresh, zeroed and at least STATE_BYTES long; State is plain data.
        unsafe { region.state().bump = STATE_BYTES };
        Some(region)
    }

    /// Bytes of address space in the region.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Bytes handed out so far (the high-water mark since the last restore).
    pub fn used(&self) -> usize {
        // SAFETY: the state lives at the start of the mapping for the region's whole life.
        unsafe { self.state().bump }
    }

    /// Whether a block was refused for want of room since the last restore.
    pub fn exhausted(&self) -> bool {
        // SAFETY: the state lives at the start of the mapping for the region's whole life.
        unsafe { self.state().exhausted }
    }

    /// The allocator QuickJS gets; it must not outlive the region.
    pub fn allocator(&self) -> RegionAllocator {
        RegionAllocator {
            base: self.base,
            capacity: self.capacity,
        }
    }

    /// A copy of everything in use now.
    pub fn save(&self) -> Image {
        let used = self.used();
        // SAFETY: `used` bytes from the base are inside the mapping and initialised.
        let bytes = unsafe { std::slice::from_raw_parts(self.base.as_ptr(), used) };
        Image {
            bytes: bytes.into(),
        }
    }

    /// Puts `image` back: every block, free list and the bump offset as they were when it was
    /// saved. Pages far above the image that an invocation touched are given back to the system.
    ///
    /// # Safety
    /// `image` must come from [`Region::save`] of this region, and nothing may hold a pointer
    /// into blocks allocated since then (the engine must not be running).
    pub unsafe fn restore(&self, image: &Image) {
        let high_water = self.used();
        // SAFETY: the image is no longer than the mapping it was saved from (the caller's
        // contract); source and destination do not overlap.
        unsafe {
            std::ptr::copy_nonoverlapping(image.bytes.as_ptr(), self.base.as_ptr(), image.len());
        }
        let keep = (image.len() + RELEASE_SLACK).next_multiple_of(page_size());
        if high_water > keep + RELEASE_SLACK {
            // SAFETY: the range is inside the mapping and holds no live block after the restore.
            unsafe {
                libc::madvise(
                    self.base.as_ptr().add(keep).cast(),
                    high_water.next_multiple_of(page_size()) - keep,
                    libc::MADV_DONTNEED,
                );
            }
        }
    }

    /// # Safety
    /// The returned reference must not be held across another access to the state.
    #[allow(clippy::mut_from_ref)]
    unsafe fn state(&self) -> &mut State {
        // SAFETY: the mapping starts with a State (see `reserve`), aligned to the page.
        unsafe { &mut *self.base.as_ptr().cast::<State>() }
    }
}

/// Memory above the image that stays mapped after a restore (the next invocation reuses it).
const RELEASE_SLACK: usize = 1024 * 1024;

fn page_size() -> usize {
    static PAGE: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *PAGE.get_or_init(|| {
        // SAFETY: sysconf has no preconditions.
        let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        usize::try_from(size).unwrap_or(4096).max(4096)
    })
}

impl Drop for Region {
    fn drop(&mut self) {
        // SAFETY: the mapping was created by `reserve` with this length and is not used after.
        unsafe {
            libc::munmap(self.base.as_ptr().cast(), self.capacity);
        }
    }
}

/// The class and capacity of a block that can hold `size` bytes.
fn class_of(size: usize) -> (usize, usize) {
    let size = size.max(1);
    if size <= SMALL_LIMIT {
        let class = size.div_ceil(16);
        return (class - 1, class * 16);
    }
    // Four classes per power of two: [2^p, 2^(p+1)) in steps of 2^(p-2).
    let p = usize::BITS as usize - 1 - (size - 1).leading_zeros() as usize;
    let step = 1usize << (p - 2);
    let Some(capacity) = size.div_ceil(step).checked_mul(step) else {
        return (CLASSES, usize::MAX);
    };
    let (p, quarter) = if capacity == 2 << p {
        (p + 1, 0)
    } else {
        (p, capacity / step - 4)
    };
    (SMALL_CLASSES + (p - 10) * 4 + quarter, capacity)
}

/// The allocator handed to QuickJS: a view of a [`Region`].
pub struct RegionAllocator {
    base: NonNull<u8>,
    capacity: usize,
}

impl RegionAllocator {
    fn state(&mut self) -> &mut State {
        // SAFETY: the region's mapping starts with its State and outlives this allocator (see
        // `Region::allocator`); QuickJS calls the allocator from one thread at a time.
        unsafe { &mut *self.base.as_ptr().cast::<State>() }
    }

    fn at(&self, offset: usize) -> *mut u8 {
        // SAFETY: offsets handed out are inside the mapping.
        unsafe { self.base.as_ptr().add(offset) }
    }

    fn block(&mut self, size: usize) -> *mut u8 {
        let (class, capacity) = class_of(size);
        if class >= CLASSES || capacity > self.capacity {
            return std::ptr::null_mut();
        }
        let head = self.state().free[class];
        let offset = if head != 0 {
            // SAFETY: a free block's first user word holds the next free offset (see `dealloc`).
            let next = unsafe { self.at(head + HEADER).cast::<usize>().read() };
            self.state().free[class] = next;
            head
        } else {
            let offset = self.state().bump;
            let end = offset
                .checked_add(HEADER + capacity)
                .filter(|end| *end <= self.capacity);
            let Some(end) = end else {
                self.state().exhausted = true;
                return std::ptr::null_mut();
            };
            self.state().bump = end;
            offset
        };
        // SAFETY: the block's header is inside the mapping and 16-byte aligned.
        unsafe { self.at(offset).cast::<usize>().write(capacity) };
        self.at(offset + HEADER)
    }

    fn offset_of(&self, ptr: *mut u8) -> usize {
        ptr as usize - HEADER - self.base.as_ptr() as usize
    }
}

// SAFETY: blocks are 16-byte aligned, at least as large as asked, inside a mapping that lives as
// long as the runtime (the pool drops the runtime before the region), and `usable_size` reads the
// capacity written in front of every block.
unsafe impl rquickjs::allocator::Allocator for RegionAllocator {
    fn alloc(&mut self, size: usize) -> *mut u8 {
        self.block(size)
    }

    fn calloc(&mut self, count: usize, size: usize) -> *mut u8 {
        let Some(bytes) = count.checked_mul(size) else {
            return std::ptr::null_mut();
        };
        let ptr = self.block(bytes);
        if !ptr.is_null() {
            // SAFETY: the block holds at least `bytes` bytes; reused blocks are dirty.
            unsafe { std::ptr::write_bytes(ptr, 0, bytes) };
        }
        ptr
    }

    unsafe fn dealloc(&mut self, ptr: *mut u8) {
        // SAFETY: `ptr` came from `block` of this region (the trait's contract).
        let capacity = unsafe { Self::usable_size(ptr) };
        let (class, _) = class_of(capacity);
        let offset = self.offset_of(ptr);
        let next = self.state().free[class];
        // SAFETY: the block's user area is at least 16 bytes and no longer in use.
        unsafe { ptr.cast::<usize>().write(next) };
        self.state().free[class] = offset;
    }

    unsafe fn realloc(&mut self, ptr: *mut u8, new_size: usize) -> *mut u8 {
        if ptr.is_null() {
            return self.block(new_size);
        }
        // SAFETY: `ptr` came from `block` of this region (the trait's contract).
        let capacity = unsafe { Self::usable_size(ptr) };
        if new_size <= capacity {
            return ptr;
        }
        let moved = self.block(new_size);
        if !moved.is_null() {
            // SAFETY: both blocks are live, distinct and at least `capacity` bytes long.
            unsafe {
                std::ptr::copy_nonoverlapping(ptr, moved, capacity);
                self.dealloc(ptr);
            }
        }
        moved
    }

    unsafe fn usable_size(ptr: *mut u8) -> usize {
        // SAFETY: every block handed out has its capacity in the word HEADER bytes before it.
        unsafe { ptr.sub(HEADER).cast::<usize>().read() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rquickjs::allocator::Allocator;

    #[test]
    fn classes_fit_the_size_and_grow_with_it() {
        let mut last = (0, 0);
        for size in [
            1,
            16,
            17,
            1000,
            1024,
            1025,
            1500,
            2048,
            2049,
            4096,
            5000,
            1 << 20,
        ] {
            let (class, capacity) = class_of(size);
            assert!(capacity >= size, "{size}: {capacity}");
            assert!(capacity < size * 2 + 16, "{size}: {capacity}");
            assert!(class >= last.0 && capacity >= last.1, "{size}");
            assert_eq!(class_of(capacity), (class, capacity), "{size}");
            last = (class, capacity);
        }
        assert!(class_of(64 << 20).0 < CLASSES);
    }

    #[test]
    fn freed_blocks_are_reused_and_restore_returns_to_the_image() {
        let region = Region::reserve(1 << 20).unwrap();
        let mut a = region.allocator();
        let first = a.alloc(100);
        // SAFETY: the block holds 100 bytes.
        unsafe { first.write_bytes(7, 100) };
        let image = region.save();
        let second = a.alloc(100);
        // SAFETY: both blocks came from this allocator.
        unsafe {
            a.dealloc(second);
            first.write_bytes(9, 100);
        }
        assert_eq!(
            a.alloc(100),
            second,
            "a freed block of the class comes back first"
        );
        // SAFETY: nothing holds the blocks allocated after the image.
        unsafe { region.restore(&image) };
        // SAFETY: `first` was allocated before the image, so it is live again.
        assert_eq!(unsafe { first.read() }, 7);
        assert_eq!(region.used(), image.len());
        assert_eq!(a.alloc(100), second, "the bump offset is back where it was");
    }

    #[test]
    fn a_reused_block_is_zeroed_by_calloc_and_pages_above_the_image_come_back_after_a_restore() {
        let region = Region::reserve(16 << 20).unwrap();
        let mut a = region.allocator();
        let image = region.save();
        let dirty = a.alloc(64);
        // SAFETY: the block holds 64 bytes and goes back to its class's free list.
        unsafe {
            dirty.write_bytes(0xAB, 64);
            a.dealloc(dirty);
        }
        let zeroed = a.calloc(8, 8);
        assert_eq!(zeroed, dirty);
        // SAFETY: the block holds 64 bytes.
        assert!(
            unsafe { std::slice::from_raw_parts(zeroed, 64) }
                .iter()
                .all(|b| *b == 0)
        );
        // Use far more than the slack above the image, then restore: the pages are released
        // and the memory can be used again (it reads as zero, as fresh pages do).
        let big = a.alloc(8 << 20);
        // SAFETY: the block holds 8 MiB.
        unsafe { big.write_bytes(0xCD, 8 << 20) };
        // SAFETY: nothing holds the blocks allocated after the image.
        unsafe { region.restore(&image) };
        assert_eq!(region.used(), image.len());
        let again = a.alloc(8 << 20);
        assert!(!again.is_null());
        // SAFETY: the block holds 8 MiB, over the range `big` used; its end, well above the
        // image and the slack, was released (or it would still read 0xCD).
        assert_eq!(unsafe { again.add((8 << 20) - 1).read() }, 0);
    }

    #[test]
    fn the_region_refuses_what_does_not_fit() {
        let region = Region::reserve(64 * 1024).unwrap();
        let mut a = region.allocator();
        assert!(!region.exhausted());
        assert!(a.alloc(128 * 1024).is_null());
        assert!(a.alloc(usize::MAX - 8).is_null());
        assert!(!a.alloc(40 * 1024).is_null());
        assert!(a.alloc(40 * 1024).is_null());
        assert!(region.exhausted(), "running out is recorded");
        let small = a.alloc(1000);
        assert!(!small.is_null());
        // SAFETY: `small` came from this allocator; growing in place keeps the pointer.
        unsafe {
            assert_eq!(Allocator::realloc(&mut a, small, 1008), small);
            assert!(Allocator::realloc(&mut a, small, 1 << 20).is_null());
        }
    }
}
