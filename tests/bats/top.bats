#!/usr/bin/env bats
# agentune top: batch frames (live, --no-bpf, a synthetic 256-CPU tree) and
# the ncurses screen driven through tmux.  The workload's consumer is pinned
# to CPU $CPU, its producer to the other one.
load helpers

CPU=1
TMUX_SOCK=""

setup() {
	[ "$(nproc)" -ge 2 ] || CPU=0
	WL_PID=""
	TMUX_SOCK="agentune-top-$$-$BATS_TEST_NUMBER"
}

# Runs even when a test fails: no workload or tmux server outlives a test.
teardown() {
	stop_workload
	tmux -L "$TMUX_SOCK" kill-server 2>/dev/null
	remove_nobody_copy
	true
}

# Frame N (1-based) of a batch output file: from its header line to the next.
frame() {
	awk -v n="$2" '/^agentune top - / { f++ } f == n' "$1"
}

# The rows of one pane of a frame (between its title and the blank line).
pane_rows() {
	awk -v t="$1" 'index($0, t) == 1 { on = 1; next } on && /^$/ { exit } on' | tail -n +2
}

# Column N of the CPU row for CPU $1 in the CPU pane on stdin.
cpu_col() {
	awk -v c="$1" -v n="$2" '$1 == c { print $n; exit }'
}

@test "top: bad options are exit 2 naming the option" {
	run "$AGENTUNE" top -b -d 0
	[ "$status" -eq 2 ]
	[[ "$output" == *"-d: '0'"* ]]
	run "$AGENTUNE" top -b -n many
	[ "$status" -eq 2 ]
	[[ "$output" == *"-n: 'many'"* ]]
	run "$AGENTUNE" top -b --pid abc
	[ "$status" -eq 2 ]
	[[ "$output" == *"--pid: 'abc'"* ]]
	run "$AGENTUNE" top -b --pid 4194000
	[ "$status" -eq 2 ]
	[[ "$output" == *"no process 4194000"* ]]
	run "$AGENTUNE" top -b --root "$FIXTURES/virtio-net-2cpu" --pid 1
	[ "$status" -eq 2 ]
	[[ "$output" == *"--pid needs the live host"* ]]
	run "$AGENTUNE" top --bogus
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown option '--bogus'"* ]]
}

@test "top: without a terminal and without -b it says to use -b" {
	run "$AGENTUNE" top -n 1 </dev/null
	[ "$status" -eq 1 ]
	[[ "$output" == *"use -b"* ]]
}

@test "top -b -n 3 --no-bpf: three frames; every pane live from procfs" {
	need_loc_row
	# /proc/stat counts a CPU busy or idle by what runs at each tick: a
	# workload whose period divides the tick's (1 ms: 4 ms at HZ=250) keeps
	# one phase against it and reads 0% or 100% busy by chance.  1013 us
	# divides no tick period, so its steps sweep the tick.
	start_workload --cpu "$CPU" --duration 0 --work-us 300 --interval-us 1013
	"$AGENTUNE" top -b -n 3 -d 0.5 --no-bpf --pid "$WL_PID" --width 200 >"$BATS_TEST_TMPDIR/top.txt"
	out="$BATS_TEST_TMPDIR/top.txt"
	[ "$(grep -c '^agentune top - ' "$out")" -eq 3 ]
	f3=$(frame "$out" 3)
	echo "$f3" # shown when the test fails
	# Header.
	grep -q "kernel $(uname -r)" <<<"$f3"
	grep -q 'cpuidle:' <<<"$f3"
	grep -q 'PM QoS:' <<<"$f3"
	grep -q 'profile:' <<<"$f3"
	grep -q 'bpf: off (--no-bpf)' <<<"$f3"
	# CPU pane: the "all" row, then every CPU in order.
	cpus=$(pane_rows "CPUs ($(nproc))" <<<"$f3")
	[ "$(awk 'NR == 1 { print $1 }' <<<"$cpus")" = all ]
	[ "$(awk 'NR > 1 { printf "%s ", $1 }' <<<"$cpus")" = "$(seq -s ' ' 0 $(($(nproc) - 1))) " ]
	# The consumer (30% busy on its CPU) is listed on that CPU's row, and
	# that CPU is busier than 10% (/proc/stat counts in ticks, above).
	row=$(awk -v c="$CPU" '$1 == c' <<<"$cpus")
	[[ " $row " == *" $WL_TID "* ]]
	util=$(cpu_col "$CPU" 2 <<<"$cpus")
	awk -v u="$util" 'BEGIN { exit !(u + 0 > 10 && u + 0 <= 100) }'
	# IRQ pane: the local timer ticks on every CPU, so there is a row with a rate.
	irqs=$(pane_rows "IRQs (" <<<"$f3")
	grep -Eq '^ *LOC +[0-9.]+k? ' <<<"$irqs"
	# Agent pane: the workload, its threads, and why there are no BPF figures.
	agents=$(pane_rows "Agents (1)" <<<"$f3")
	grep -q "^ *$WL_PID .*agentloop" <<<"$agents"
	grep -q 'no BPF: --no-bpf' <<<"$agents"
}

@test "top -b -n 3 --pid: the agent pane measures the workload's steps (BPF)" {
	need_bpf
	need_loc_row
	start_workload --cpu "$CPU" --duration 0 --interval-us 1000
	"$AGENTUNE" top -b -n 3 -d 1 --pid "$WL_PID" --width 200 >"$BATS_TEST_TMPDIR/top.txt"
	f3=$(frame "$BATS_TEST_TMPDIR/top.txt" 3)
	grep -Eq 'bpf: (tp_btf|raw_tp), programs [0-9]+ us/s' <<<"$f3"
	# The IRQ pane: the local timer, with the CPUs that took it.
	grep -Eq '^ *LOC +[0-9.]+k? +[0-9]+:' <<<"$(pane_rows "IRQs (" <<<"$f3")"
	# One step per ms for the consumer and one for the producer that wakes
	# it (a thread of the agent too): about 2000 steps/s in the agent row,
	# about 1000 on the consumer's CPU.
	agents=$(pane_rows "Agents (1)" <<<"$f3")
	row=$(grep "^ *$WL_PID " <<<"$agents")
	hdr=$(grep -m1 'PID' <<<"$f3")
	steps_col=$(awk '{ for (i = 1; i <= NF; i++) if ($i == "STEPS/s") print i }' <<<"$hdr")
	steps=$(awk -v n="$steps_col" '{ print $n }' <<<"$row")
	awk -v s="$steps" 'BEGIN { exit !(s + 0 > 1000 && s + 0 < 3000) }'
	# p50 and p99 are numbers, p99 >= p50, and a cause is named.
	p50=$(awk -v n=$((steps_col + 1)) '{ print $n }' <<<"$row")
	p99=$(awk -v n=$((steps_col + 2)) '{ print $n }' <<<"$row")
	awk -v a="$p50" -v b="$p99" 'BEGIN { exit !(a + 0 > 0 && b + 0 >= a + 0) }'
	grep -Eq '(queueing|idle-exit|irq|softirq|unattributed) +[0-9]+%' <<<"$row"
	cpus=$(pane_rows "CPUs ($(nproc))" <<<"$f3")
	chdr=$(grep -m1 '^ *CPU ' <<<"$f3")
	ccol=$(awk '{ for (i = 1; i <= NF; i++) if ($i == "STEPS/s") print i }' <<<"$chdr")
	on_cpu=$(cpu_col "$CPU" "$ccol" <<<"$cpus")
	awk -v s="$on_cpu" 'BEGIN { exit !(s + 0 > 500 && s + 0 < 1500) }'
}

@test "top -b --pid as a user who cannot load BPF: procfs panes, the agent pane says why" {
	need_root
	need_cmd setpriv
	nobody_copy
	start_workload --cpu "$CPU" --duration 0
	run setpriv --reuid 65534 --regid 65534 --clear-groups \
		"$NOBODY_AGENTUNE" top -b -n 1 -d 0.3 --pid "$WL_PID" --width 200
	[ "$status" -eq 0 ]
	[[ "$output" == *"CPUs ($(nproc))"* ]]
	grep -q "^ *$WL_PID .*no BPF: .*CAP_BPF" <<<"$output"
}

@test "top -b on a synthetic 256-CPU tree: bounded width, CPUs in order" {
	gen="$REPO/${B:-build}/tests/genhost"
	"$gen" --cpus 256 --irqs 800 --nodes 2 "$BATS_TEST_TMPDIR/h256" >/dev/null
	for w in 60 100 160; do
		"$AGENTUNE" top -b -n 2 -d 0.1 --root "$BATS_TEST_TMPDIR/h256" --width "$w" \
			>"$BATS_TEST_TMPDIR/t$w.txt"
		[ "$(awk -v w="$w" 'length($0) > w' "$BATS_TEST_TMPDIR/t$w.txt" | wc -l)" -eq 0 ]
		f2=$(frame "$BATS_TEST_TMPDIR/t$w.txt" 2)
		cpus=$(pane_rows "CPUs (256)" <<<"$f2")
		[ "$(awk 'NR > 1 { printf "%s ", $1 }' <<<"$cpus")" = "$(seq -s ' ' 0 255) " ]
	done
	# The idle states of the tree are columns (intel_idle: POLL C1 C1E C6).
	grep -Eq '^ *CPU .*POLL .*C6' "$BATS_TEST_TMPDIR/t160.txt"
}

# --- the screen, in tmux -------------------------------------------------

tm() { tmux -L "$TMUX_SOCK" "$@"; }

screen_text() { tm capture-pane -p -t top; }

# Waits up to 10 s until the screen matches the extended regex $1.
wait_screen() {
	for _ in $(seq 100); do
		screen_text | grep -Eq -- "$1" && return 0
		sleep 0.1
	done
	echo "screen never matched '$1':"; screen_text
	return 1
}

# A shell in a 160x50 tmux window, then top started in it.
start_top_in_tmux() {
	need_cmd tmux
	tm new-session -d -s top -x 160 -y 50 "env PS1='top-test\$ ' bash --norc --noprofile"
	tm set-option -t top status off
	wait_screen 'top-test\$'
	tm send-keys -t top "$AGENTUNE top $* ; echo exit=\$?" Enter
	wait_screen '^> CPUs'
}

frame_no() { screen_text | sed -n 's/.*frame #\([0-9]*\).*/\1/p' | head -1; }

@test "top screen: every pane with sane values; the workload's CPU shows its steps" {
	need_bpf
	start_workload --cpu "$CPU" --duration 0
	start_top_in_tmux --pid "$WL_PID" -d 0.5
	wait_screen "^ *$WL_PID +agentloop"
	sleep 1.2
	s=$(screen_text)
	grep -q '^agentune top - ' <<<"$s"
	grep -q "CPUs ($(nproc))" <<<"$s"
	grep -q 'IRQs (' <<<"$s"
	grep -q 'Agents (1)' <<<"$s"
	chdr=$(grep -m1 '^ *CPU ' <<<"$s")
	ccol=$(awk '{ for (i = 1; i <= NF; i++) if ($i == "STEPS/s") print i }' <<<"$chdr")
	on_cpu=$(awk -v c="$CPU" -v n="$ccol" '$1 == c { print $n; exit }' <<<"$s")
	awk -v v="$on_cpu" 'BEGIN { exit !(v + 0 > 300) }'
	# No line is wider than the window.
	[ "$(awk 'length($0) > 160' <<<"$s" | wc -l)" -eq 0 ]
}

@test "top screen: sort, Tab, pause, +, help and q do what they say; the terminal is usable after" {
	start_workload --cpu "$CPU" --duration 0
	start_top_in_tmux --no-bpf --pid "$WL_PID" -d 0.5
	wait_screen 'CPUs \([0-9]+\) +sort: cpu'
	tm send-keys -t top s
	wait_screen 'CPUs \([0-9]+\) +sort: util'
	tm send-keys -t top Tab
	wait_screen '^> IRQs'
	tm send-keys -t top s
	wait_screen 'IRQs .*sort: irq'
	# The CPU pane kept its own sort.
	screen_text | grep -Eq 'CPUs \([0-9]+\) +sort: util'
	tm send-keys -t top p
	wait_screen '\[PAUSED\]'
	a=$(frame_no); sleep 1.5; b=$(frame_no)
	[ -n "$a" ] && [ "$a" = "$b" ]
	tm send-keys -t top p
	wait_screen 'interval 0.5s'
	sleep 1.2
	c=$(frame_no)
	[ "$c" -gt "$b" ]
	tm send-keys -t top +
	wait_screen 'interval 1.0s'
	tm send-keys -t top h
	wait_screen 'agentune top - keys'
	tm send-keys -t top x
	wait_screen '^> IRQs'
	tm send-keys -t top q
	wait_screen '^exit=0'
	# Out of the alternate screen, cursor back, and the shell answers.
	[ "$(tm display -p -t top '#{alternate_on}')" = 0 ]
	[ "$(tm display -p -t top '#{cursor_flag}')" = 1 ]
	tm send-keys -t top 'echo usable-$((40 + 2))' Enter
	wait_screen '^usable-42'
}

@test "top screen: resize redraws; too small says so; scrolling a long pane" {
	start_top_in_tmux --no-bpf -d 0.5
	tm resize-window -t top -x 90 -y 30
	wait_screen '^> CPUs'
	sleep 0.8
	[ "$(screen_text | awk 'length($0) > 90' | wc -l)" -eq 0 ]
	screen_text | grep -q 'IRQs ('
	tm resize-window -t top -x 30 -y 8
	wait_screen 'too small'
	screen_text | grep -q '30x8'
	tm resize-window -t top -x 160 -y 50
	wait_screen '^> CPUs'
	# A 14-line window: the IRQ pane has more rows than fit; PgDn scrolls it.
	tm resize-window -t top -x 160 -y 16
	tm send-keys -t top Tab
	wait_screen '^> IRQs .*\[1-[0-9]+ of [0-9]+\]'
	tm send-keys -t top NPage
	wait_screen '^> IRQs .*\[[2-9][0-9]*-[0-9]+ of [0-9]+\]'
	tm send-keys -t top q
	wait_screen '^exit=0'
}
