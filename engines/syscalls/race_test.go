//go:build race

package syscalls

// raceDetector is set under the race detector, whose sync.Pool drops items
// at random: allocation counts mean nothing there.
const raceDetector = true
