package cli

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/utrace-bpf/utrace-bpf/engines/pipeline"
	"github.com/utrace-bpf/utrace-bpf/stopper"
)

func straceCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "strace [STRACE OPTIONS] CMD [ARGS...] | strace [STRACE OPTIONS] -p PID[,PID]",
		Short: "strace's command line and output, at eBPF cost",
		Long: `Strace takes strace's options with strace's meaning and prints what strace
prints, from the syscalls engine (or, with -c, the counter engine):
  -f          follow forks and threads        -o FILE      write the trace to FILE
  -ff         with -o FILE: each thread's lines in FILE.TID
  -A          with -o FILE: add to FILE (FILE.TID) instead of emptying it
  -p PID      attach to PID (repeatable, or PID,PID)
  -P PATH     only calls accessing PATH (repeatable): by name or an fd open on it
  -e trace=SET    (names, %classes, /regex, !, ?; "-e SET" alone too)
  -e status=successful|failed   -z (successful only)   -Z (failed only)
  -T          time spent in each call         -t, -tt, -ttt, -r  time stamps
  -s N        show N bytes of strings (32)    -c           count, time and errors per call
  -C          the log and -c's table          -n           syscall numbers: [ 257] openat(...)
  -q          accepted; -qq: no +++ exited lines
  -u USER     run the command as USER (its uid, gid and groups)
  -b execve   stop tracing a process when it calls execve: <detached ...>
  --kill-on-exit  kill the traced processes left when utrace-bpf exits
  -E VAR=VAL, -E VAR  the command's environment
  -e signal=SET   the signal deliveries logged (names, !, none)
  -x, -xx     strings in hex: those not printable, all
  -y, -yy     descriptors with what they are open on: 3</etc/hosts>; -yy: sockets' endpoints
  -X raw|abbrev|verbose  named constants as numbers, names (the default), or both:
              0x80000 /* O_RDONLY|O_CLOEXEC */
  -S SORTBY   -c's order: time, calls, errors, name
  -U COLUMNS  -c's columns: time-percent,total-time,avg-time,calls,errors,name
  -e inject=SET:error=E|retval=V[:delay_enter=D][:when=W], -e fault=SET[:error=E][:when=W]
              W: N, N+, N+S, N..M, N..M+S (the calls N, N+S, ... up to M)
  -w          accepted: -c's times are the calls' latencies
  --seccomp-bpf   accepted: launched programs get a seccomp filter anyway
Any other option is refused with a line naming it and exit status 2.`,
		DisableFlagParsing: true,
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 1 && (args[0] == "-h" || args[0] == "--help") {
				return c.Help()
			}
			opt, err := parseStrace(args)
			if err != nil {
				return err
			}
			cfg, err := opt.config()
			if err != nil {
				return err
			}
			if len(opt.pids) > 0 {
				sigs := make(chan os.Signal, 1)
				signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
				defer signal.Stop(sigs)
				return attachTo(cfg, opt.pids, opt.follow, sigs)
			}
			return launch(cfg, opt.cmd, opt.follow)
		},
	}
}

// straceOptions is an strace command line, parsed.
type straceOptions struct {
	follow     bool
	split      bool // -ff
	output     string
	appendOut  bool // -A
	pids       []int
	trace      string
	failed     bool
	successful bool
	timing     bool
	stamps     int                 // -t count: 1 -t, 2 -tt, 3 -ttt
	relative   bool                // -r
	strLimit   string              // -s
	count      bool                // -c
	countToo   bool                // -C
	numbers    bool                // -n
	hex        int                 // -x count
	fdPaths    int                 // -y count
	xlat       string              // -X
	sortBy     string              // -S
	columns    string              // -U
	injects    []map[string]string // -e inject=, -e fault=: inject engines' options
	quiet      int                 // -q count
	signals    string              // -e signal=
	paths      []string            // -P, with what symlinks among them resolve to
	env        []string
	user       string // -u
	detachExec bool   // -b execve
	killOnExit bool   // --kill-on-exit
	cmd        []string
}

// straceArgOpts are the short options that take an argument.
const straceArgOpts = "abeEIoOpPsSuUX"

// parseStrace parses args as strace's getopt does: short options may be
// grouped (-fTtt), an option's argument is the rest of its word or the
// next word, and the first word that is not an option starts the command.
func parseStrace(args []string) (*straceOptions, error) {
	o := &straceOptions{}
	i := 0
	for ; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			i++
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			break
		}
		if strings.HasPrefix(a, "--") {
			if err := o.long(a); err != nil {
				return nil, err
			}
			continue
		}
		for j := 1; j < len(a); j++ {
			c := a[j]
			if !strings.ContainsRune(straceArgOpts, rune(c)) {
				if err := o.flag(c); err != nil {
					return nil, err
				}
				continue
			}
			val := a[j+1:]
			if val == "" {
				if i+1 >= len(args) {
					return nil, badInput("strace: option -%c needs an argument", c)
				}
				i++
				val = args[i]
			}
			if err := o.withArg(c, val); err != nil {
				return nil, err
			}
			break
		}
	}
	o.cmd = args[i:]
	switch {
	case len(o.cmd) == 0 && len(o.pids) == 0:
		return nil, badInput("strace: must have PROG [ARGS] or -p PID")
	case len(o.cmd) > 0 && len(o.pids) > 0:
		return nil, badInput("strace: -p and a command together are not supported: trace one or the other")
	case o.failed && o.successful:
		return nil, badInput("strace: -z and -Z (status=successful and failed) together select nothing")
	case o.user != "" && len(o.cmd) == 0:
		return nil, badInput("strace: -u %s: only with a command to run", o.user)
	case o.detachExec && (o.count || o.countToo || len(o.injects) > 0):
		return nil, badInput("strace: -b execve with -c, -C or -e inject= is not supported: only the log detaches")
	case len(o.paths) > 0 && (o.count || o.countToo):
		return nil, badInput("strace: -P with -c or -C is not supported: the counts are kept in the kernel, which does not know the calls' files")
	}
	return o, nil
}

func unsupported(opt string) error {
	return badInput("strace: option %s is not supported by utrace-bpf strace (utrace-bpf strace --help lists those that are)", opt)
}

func (o *straceOptions) flag(c byte) error {
	switch c {
	case 'f':
		if o.follow {
			o.split = true
		}
		o.follow = true
	case 'T':
		o.timing = true
	case 't':
		o.stamps++
	case 'r':
		o.relative = true
	case 'z':
		o.successful = true
	case 'Z':
		o.failed = true
	case 'c':
		o.count = true
	case 'C':
		o.countToo = true
	case 'n':
		o.numbers = true
	case 'x':
		o.hex++
	case 'y':
		o.fdPaths++
	case 'q':
		o.quiet++
	case 'A':
		o.appendOut = true
	case 'w':
		// -c's times are the calls' latencies (entry to exit) anyway.
	default:
		return unsupported("-" + string(c))
	}
	return nil
}

func (o *straceOptions) long(a string) error {
	switch a {
	case "--seccomp-bpf", "--quiet=attach":
		return nil
	case "--output-append-mode":
		return o.flag('A')
	case "--kill-on-exit":
		o.killOnExit = true
		return nil
	}
	name, val, hasVal := strings.Cut(a, "=")
	if opt, ok := straceLongArg[name]; ok && hasVal {
		return o.withArg(opt, val)
	}
	return unsupported(name)
}

// straceLongArg are the long options with an argument (--NAME=VAL) and
// the short option each stands for.
var straceLongArg = map[string]byte{
	"--trace-path":      'P',
	"--user":            'u',
	"--detach-on":       'b',
	"--summary-columns": 'U',
}

func (o *straceOptions) withArg(c byte, val string) error {
	switch c {
	case 'P':
		o.addPath(val)
	case 'U':
		o.columns = val
	case 'u':
		o.user = val
	case 'b':
		if val != "execve" {
			return badInput("strace: Syscall '%s' for -b isn't supported", val)
		}
		o.detachExec = true
	case 'o':
		o.output = val
	case 'p':
		for _, f := range strings.Split(val, ",") {
			pid, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || pid <= 0 {
				return badInput("strace: -p %s: %q is not a process id", val, f)
			}
			o.pids = append(o.pids, pid)
		}
		if _, err := parsePids(val); err != nil {
			return err
		}
	case 'E':
		o.env = append(o.env, val)
	case 'X':
		switch val {
		case "raw", "abbrev", "verbose":
			o.xlat = val
		default:
			return badInput("strace: -X %s: only raw, abbrev and verbose are supported", val)
		}
	case 'S':
		switch val {
		case "time", "calls", "errors", "name":
			o.sortBy = val
		default:
			return badInput("strace: -S %s: only time, calls, errors and name are supported", val)
		}
	case 's':
		n, err := strconv.Atoi(val)
		if err != nil || n < 0 {
			return badInput("strace: -s %s: want a non-negative number", val)
		}
		o.strLimit = val
	case 'e':
		return o.expr(val)
	default:
		return unsupported("-" + string(c))
	}
	return nil
}

// addPath adds a -P path and, as strace does, the file it names when it
// is a symlink, saying so on standard error.
func (o *straceOptions) addPath(p string) {
	o.paths = append(o.paths, p)
	real, err := filepath.EvalSymlinks(p)
	if err == nil {
		real, err = filepath.Abs(real)
	}
	if err != nil || real == p {
		return
	}
	fmt.Fprintf(os.Stderr, "strace: Requested path %q resolved into %q\n", p, real)
	o.paths = append(o.paths, real)
}

// expr handles one -e QUALIFIER=SET.
func (o *straceOptions) expr(val string) error {
	q, set, ok := strings.Cut(val, "=")
	if !ok {
		q, set = "trace", val
	}
	switch q {
	case "trace", "t":
		o.trace = set
	case "signal", "signals", "s":
		o.signals = set
	case "inject", "fault":
		raw, err := injectRule(q, set)
		if err != nil {
			return err
		}
		o.injects = append(o.injects, raw)
	case "status":
		for _, s := range strings.Split(set, ",") {
			switch s {
			case "successful":
				o.successful = true
			case "failed":
				o.failed = true
			case "all":
			default:
				return badInput("strace: -e status=%s: only successful, failed and all are supported", s)
			}
		}
		if o.failed && o.successful {
			// Both: every call that returned, which is every line here.
			o.failed, o.successful = false, false
		}
	default:
		return unsupported("-e " + q + "=")
	}
	return nil
}

// injectRule maps strace's -e inject=SET:error=E|retval=V[:delay_enter=D][:delay_exit=D]
// [:when=W] (and -e fault=SET[:error=E][:when=W], whose error defaults to
// ENOSYS) onto the inject engine's options.
func injectRule(kind, spec string) (map[string]string, error) {
	parts := strings.Split(spec, ":")
	// strace says nothing of its injections but the (INJECTED) marks.
	raw := map[string]string{"syscall": parts[0], "summary": "false"}
	if kind == "fault" {
		raw["error"] = "ENOSYS"
	}
	for _, p := range parts[1:] {
		k, v, _ := strings.Cut(p, "=")
		switch k {
		case "error":
			raw["error"] = v
		case "retval":
			raw["retval"] = v
			delete(raw, "error")
		case "delay_enter", "delay_exit":
			// strace's delays are microseconds, with an optional unit.
			if _, err := strconv.Atoi(v); err == nil {
				v += "us"
			}
			raw[map[string]string{"delay_enter": "delay", "delay_exit": "delay_exit"}[k]] = v
		case "when":
			if err := whenRule(raw, v); err != nil {
				return nil, badInput("strace: -e %s=%s: when=%s: %v", kind, spec, v, err)
			}
		default:
			return nil, badInput("strace: -e %s=%s: %s= is not supported (error=, retval=, delay_enter=, delay_exit= and when= are)", kind, spec, k)
		}
	}
	if raw["error"] == "" && raw["retval"] == "" && raw["delay"] == "" && raw["delay_exit"] == "" {
		return nil, badInput("strace: -e %s=%s: say what to inject (error=, retval=, delay_enter= or delay_exit=)", kind, spec)
	}
	return raw, nil
}

// whenRule maps strace's when=FIRST[..LAST][+[STEP]] onto the inject
// engine's first, last and step: when=N is the Nth matching call alone,
// N+ every call from the Nth, N+S every Sth from the Nth, N..M those from
// the Nth to the Mth, N..M+S every Sth of those.
func whenRule(raw map[string]string, v string) error {
	rng, step, stepped := strings.Cut(v, "+")
	first, last, bounded := strings.Cut(rng, "..")
	num := func(s string) (int, error) {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 65535 {
			return 0, fmt.Errorf("%q: want a call number from 1 to 65535", s)
		}
		return n, nil
	}
	f, err := num(first)
	if err != nil {
		return err
	}
	raw["first"] = strconv.Itoa(f)
	switch {
	case bounded:
		l, err := num(last)
		if err != nil {
			return err
		}
		if l < f {
			return fmt.Errorf("%d is before %d", l, f)
		}
		raw["last"] = strconv.Itoa(l)
	case !stepped:
		raw["last"] = raw["first"]
	}
	if stepped && step != "" {
		s, err := num(step)
		if err != nil {
			return err
		}
		raw["step"] = strconv.Itoa(s)
	}
	return nil
}

// config is the pipeline the options stand for: one syscalls engine (or,
// with -c, a counter; with -C, both) writing strace's text.
func (o *straceOptions) config() (*Config, error) {
	cfg := &Config{File: "strace command line", Format: "text", OutputFile: o.output, Env: o.environ(),
		SplitOutput: o.split && o.output != "", AppendOutput: o.appendOut,
		KillOnExit: o.killOnExit, SingleLeaders: !o.follow}
	if o.user != "" {
		creds, err := userCredentials(o.user, o.cmd[0])
		if err != nil {
			return nil, err
		}
		cfg.Credentials = creds
	}
	add := func(typ string, raw map[string]string) error {
		t, err := pipeline.Lookup(typ)
		if err != nil {
			return err
		}
		opts, err := t.Parse(raw)
		if err != nil {
			return badInput("strace: %v", err)
		}
		cfg.Engines = append(cfg.Engines, EngineSpec{Type: t, Name: typ, Options: opts, Where: "strace"})
		return nil
	}
	// The injectors come first: the log's engine, after them in each
	// report, sees what they did to a call (the (DELAYED) mark).
	for _, raw := range o.injects {
		if err := add("inject", raw); err != nil {
			return nil, err
		}
	}
	if !o.count {
		raw := map[string]string{}
		set := func(k string, on bool, v string) {
			if on {
				raw[k] = v
			}
		}
		set("trace", o.trace != "", o.trace)
		set("paths", len(o.paths) > 0, strings.Join(o.paths, ","))
		set("detach_on", o.detachExec, "execve")
		set("timing", o.timing, "true")
		set("failed", o.failed, "true")
		set("successful", o.successful, "true")
		set("numbers", o.numbers, "true")
		set("exits", o.quiet >= 2, "false")
		set("signals", o.signals != "", o.signals)
		set("strings", o.strLimit != "", o.strLimit)
		set("hex", o.hex > 0, strconv.Itoa(min(o.hex, 2)))
		set("fd_paths", o.fdPaths == 1, "paths")
		set("fd_paths", o.fdPaths >= 2, "detail")
		set("xlat", o.xlat != "", o.xlat)
		switch {
		case o.relative:
			raw["time"] = "r"
		case o.stamps == 1:
			raw["time"] = "t"
		case o.stamps == 2:
			raw["time"] = "tt"
		case o.stamps >= 3:
			raw["time"] = "ttt"
		}
		if err := add("syscalls", raw); err != nil {
			return nil, err
		}
	}
	if o.count || o.countToo {
		raw := map[string]string{}
		if o.trace != "" {
			raw["trace"] = o.trace
		}
		if o.sortBy != "" {
			raw["sort"] = o.sortBy
		}
		if o.columns != "" {
			raw["columns"] = o.columns
		}
		if err := add("counter", raw); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

// userCredentials are strace -u's: name's user, group and groups (as
// initgroups finds them), and as the effective user and group those of
// the program's file where it is setuid or setgid, as strace makes them.
func userCredentials(name, prog string) (*stopper.Credentials, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return nil, badInput("strace: -u %s: cannot find user %q", name, name)
	}
	id := func(s string) uint32 { n, _ := strconv.ParseUint(s, 10, 32); return uint32(n) }
	c := &stopper.Credentials{Uid: id(u.Uid), Gid: id(u.Gid)}
	gids, err := u.GroupIds()
	if err != nil {
		return nil, badInput("strace: -u %s: the user's groups: %v", name, err)
	}
	c.Groups = append(c.Groups, c.Gid)
	for _, g := range gids {
		if n := id(g); !slices.Contains(c.Groups, n) {
			c.Groups = append(c.Groups, n)
		}
	}
	c.Euid, c.Egid = c.Uid, c.Gid
	if path, err := exec.LookPath(prog); err == nil {
		if fi, err := os.Stat(path); err == nil {
			st := fi.Sys().(*syscall.Stat_t)
			if fi.Mode()&os.ModeSetuid != 0 {
				c.Euid = st.Uid
			}
			if fi.Mode()&os.ModeSetgid != 0 {
				c.Egid = st.Gid
			}
		}
	}
	return c, nil
}

// environ is the launched program's environment with -E's changes
// (VAR=VAL sets, VAR alone unsets), or nil for this process's own.
func (o *straceOptions) environ() []string {
	if len(o.env) == 0 {
		return nil
	}
	env := os.Environ()
	for _, e := range o.env {
		name, _, set := strings.Cut(e, "=")
		env = slices.DeleteFunc(env, func(kv string) bool { return strings.HasPrefix(kv, name+"=") })
		if set {
			env = append(env, e)
		}
	}
	return env
}
