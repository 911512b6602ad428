//! A long-lived key kept on memory locked into RAM (`mlock`, `VirtualLock`) where the OS
//! allows it, so it is never written to swap; it is zeroized by its own type on drop.

/// `T` on the heap, where its address never moves, on pages locked into RAM while it
/// lives. When the OS refuses the lock (a small `RLIMIT_MEMLOCK`), the value is kept all
/// the same: a key in swappable memory beats no key.
pub struct Locked<T> {
    // Declared first, so dropped first: the pages are unlocked while still in use.
    guard: Option<region::LockGuard>,
    value: Box<T>,
}

impl<T> Locked<T> {
    /// Moves `value` to the heap and locks its pages.
    pub fn new(value: T) -> Self {
        let value = Box::new(value);
        let guard = match region::lock(std::ptr::from_ref::<T>(&value), size_of::<T>()) {
            Ok(guard) => Some(guard),
            Err(err) => {
                tracing::debug!(error = %err, "a key could not be locked into RAM");
                None
            }
        };
        Self { guard, value }
    }

    /// Whether the OS locked the value's pages.
    pub fn is_locked(&self) -> bool {
        self.guard.is_some()
    }
}

impl<T> std::ops::Deref for Locked<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kB this process has locked into RAM (Linux's own count).
    #[cfg(target_os = "linux")]
    fn locked_kb() -> u64 {
        std::fs::read_to_string("/proc/self/status")
            .unwrap()
            .lines()
            .find_map(|line| line.strip_prefix("VmLck:"))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap()
    }

    #[test]
    fn a_key_is_locked_into_ram_while_it_lives() {
        let key = Locked::new([7_u8; 32]);
        assert_eq!(*key, [7_u8; 32]);
        assert!(key.is_locked(), "the OS refused to lock one page");
        #[cfg(target_os = "linux")]
        assert!(locked_kb() >= 4, "Linux counts the locked page");
    }
}
