package stopper_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/stopper"
)

// TestMain lets the test binary act as a separate tracer process, so that a
// test can kill -9 a tracer.
func TestMain(m *testing.M) {
	if pid := os.Getenv("STOPPER_TEST_HOLD"); pid != "" {
		holdStopped(pid)
		return
	}
	os.Exit(m.Run())
}

// holdStopped attaches to pid, holds it stopped, says "held" and waits to be
// killed.
func holdStopped(pidText string) {
	pid, _ := strconv.Atoi(pidText)
	stp := stopper.New()
	tr := core.NewTracer(core.Config{Stopper: stp})
	stp.Start(tr)
	e, err := tr.Attach(pid, core.AttachCreate, nopQuiesce{}, nil)
	if err == nil {
		err = e.SetEvents(core.EventQuiesce)
	}
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	e.Control(core.Stop)
	for e.Barrier(context.Background()) == nil {
		if procState(pid) == "t" {
			fmt.Println("held")
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	select {}
}

// kill -9 of the tracer while it holds an attached process stopped leaves
// that process running to completion.
func TestTracerKilledWhileHolding(t *testing.T) {
	needRoot(t)
	p := start(t, "sleep", "1")
	p.expect("ready")
	p.proceed()
	tracer := exec.Command(os.Args[0], "-test.run=^$")
	tracer.Env = append(os.Environ(), "STOPPER_TEST_HOLD="+strconv.Itoa(p.pid))
	out, err := tracer.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := tracer.Start(); err != nil {
		t.Fatal(err)
	}
	defer tracer.Process.Kill()
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "held\n" {
		t.Fatalf("tracer said %q", line)
	}
	if s := procState(p.pid); s != "t" {
		t.Fatalf("target state %q, want t (held by the tracer)", s)
	}
	tracer.Process.Kill()
	tracer.Wait()
	if l := p.line(); l != "done" {
		t.Errorf("target said %q", l)
	}
	if s := p.exit(); s != "exit 0" {
		t.Errorf("target: %s", s)
	}
}
