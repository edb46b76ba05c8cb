package stopper

import (
	"errors"
	"fmt"
)

// ErrNotApplied wraps a change engines decided on at a stop that ptrace
// could not make (a system call's number, arguments or return value, an
// abort): typically the thread was killed while the engines looked at it.
// The thread then does what it would have done without the change; the
// failure goes to the function given to OnError, never nowhere.
var ErrNotApplied = errors.New("the engines' change of a stopped thread was not applied")

// OnError makes f receive every ErrNotApplied, with the thread's tid; call
// it before Start. f runs on the ptrace thread: it must be quick. Without
// it, the failures are only counted (Stats.NotApplied).
func (s *Stopper) OnError(f func(tid int, err error)) { s.onError = f }

// notApplied reports that the change what of thread t failed with err.
func (s *Stopper) notApplied(t *task, what string, err error) {
	s.metrics.notApplied.Add(1)
	if s.onError != nil {
		s.onError(t.tid, fmt.Errorf("thread %d: %s: %w: %w", t.tid, what, ErrNotApplied, err))
	}
}
