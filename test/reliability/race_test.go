//go:build race

package reliability

// raceDetector is set when the tests run under the race detector, which
// makes the in-process ring-buffer reader several times slower: the load
// tests then check the accounting but not zero loss.
const raceDetector = true
