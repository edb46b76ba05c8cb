package loader

// EmulateOldKernel makes the Loads that follow, in this test binary,
// behave as on the oldest supported kernels (no group_dead from
// sched_process_exit, no PIDFD_THREAD), so that the fallbacks are tested
// on any kernel. It returns a func that undoes it.
func EmulateOldKernel() (undo func()) {
	emulateOld.Store(true)
	return func() { emulateOld.Store(false) }
}

// MailboxRuns reports how many times l ran its task-storage mailbox.
func MailboxRuns(l *Loader) uint64 { return l.store.runs.Load() }
