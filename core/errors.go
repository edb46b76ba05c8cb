package core

import "golang.org/x/sys/unix"

// Sentinel errors. Each carries the errno the seed returns for the same
// condition, so errors.Is(err, unix.ESRCH) and errors.Is(err, ErrDetached)
// both hold for a detached engine.
var (
	// ErrDetached: the engine is detached (explicitly, or by the thread's
	// reaping); the thread may be gone. The seed's -ESRCH.
	ErrDetached = &Error{"engine detached or thread gone", unix.ESRCH}
	// ErrAlready: a DEATH or REAP report may already be running, so the
	// change asked for cannot be promised. The seed's -EALREADY.
	ErrAlready = &Error{"death or reap report already in progress", unix.EALREADY}
	// ErrInProgress: the thread is not stopped; the request takes effect
	// soon (a QUIESCE report follows for Stop), or a callback to the engine
	// may still be running (see Barrier). The seed's -EINPROGRESS.
	ErrInProgress = &Error{"thread not stopped; in progress", unix.EINPROGRESS}
	// ErrExist: AttachExclusive found a matching engine. The seed's -EEXIST.
	ErrExist = &Error{"matching engine already attached", unix.EEXIST}
	// ErrNotFound: lookup without AttachCreate found no matching engine.
	// The seed's -ENOENT.
	ErrNotFound = &Error{"no matching engine", unix.ENOENT}
	// ErrPerm: the thread is a kernel thread; utrace is for user threads.
	// The seed's -EPERM.
	ErrPerm = &Error{"kernel thread", unix.EPERM}
	// ErrInvalid: an invalid action, event mask, nil ops, or a request the
	// engine is not in a position to make (examining a thread it does not
	// hold stopped). The seed's -EINVAL.
	ErrInvalid = &Error{"invalid argument", unix.EINVAL}
	// ErrAgain: stepping a thread that is not stopped, or an examination
	// that raced with the thread waking up. The seed's -EAGAIN.
	ErrAgain = &Error{"thread not held stopped; try again", unix.EAGAIN}
	// ErrNoStopper: the request needs the synchronous tier (a stop, an
	// interrupt, stepping, examination) and the tracer has no Stopper.
	ErrNoStopper = &Error{"no stopper: synchronous control unavailable", unix.EOPNOTSUPP}
)

// Error is a utrace error: a message and the errno it stands for.
type Error struct {
	Msg   string
	Errno unix.Errno
}

func (e *Error) Error() string { return e.Msg }

// Unwrap exposes the errno, so errors.Is(ErrDetached, unix.ESRCH) holds.
func (e *Error) Unwrap() error { return e.Errno }
