#!/usr/bin/env python3
"""Runs a command with its output discarded and prints three figures for benches/build_times.sh:

    <wall seconds> <cpu seconds> <steal percent>

- wall: elapsed time of the command;
- cpu: user + system time of the command and every process it waited for (cargo waits for its
  rustc and build-script processes), from wait4's resource usage;
- steal: the share of the machine's CPU time that the hypervisor gave to other guests while the
  command ran (/proc/stat), a sign of a noisy neighbour rather than of the build itself.

On a shared virtual machine the wall time of one build varies by a third between identical runs;
the CPU time varies much less, and the steal figure says how busy the host was.
"""

import os
import subprocess
import sys
import time


def cpu_counters():
    """(steal, total) jiffies summed over the machine's CPUs, or None where /proc/stat is missing."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(x) for x in stat.readline().split()[1:]]
    except OSError:
        return None
    # user nice system idle iowait irq softirq steal [guest guest_nice]; guest time is already
    # counted in user and nice.
    return fields[7], sum(fields[:8])


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: timed.py COMMAND [ARG...]")
    before = cpu_counters()
    start = time.monotonic()
    with open(os.devnull, "wb") as devnull:
        child = subprocess.Popen(sys.argv[1:], stdout=devnull, stderr=devnull)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - start
    after = cpu_counters()
    code = child.returncode
    if code != 0:
        sys.exit(f"timed.py: {' '.join(sys.argv[1:])} exited with {code}")
    steal = 0.0
    if before and after and after[1] > before[1]:
        steal = 100.0 * (after[0] - before[0]) / (after[1] - before[1])
    print(f"{wall:.1f} {usage.ru_utime + usage.ru_stime:.1f} {steal:.1f}")


if __name__ == "__main__":
    main()
