"""A README's commands, run as a reader would run them.

A README's ```sh blocks are read line by line (a line ending in a backslash continues on the
next). A `# → TEXT` line under a command means its output must hold TEXT; other comment lines
are for the reader. Fences of another language (```console for a server's terminal, say) are
not run.

readme_steps(path) gives [(command, [expected texts])]. Shell runs them in one bash, so that
variables set by one command reach the next; a command with expectations is run again until
its output holds them all (or its deadline passes).
"""
import queue
import re
import subprocess
import threading
import time
import uuid

EXPECT = re.compile(r"^# → (.*)$")


def readme_steps(path):
    """[(command, [expected texts])] from the README's ```sh blocks."""
    steps = []
    in_block = False
    pending = ""
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("```"):
                in_block = line.strip() == "```sh" if not in_block else False
                continue
            if not in_block or not line.strip():
                continue
            m = EXPECT.match(line)
            if m:
                steps[-1][1].append(m.group(1))
            elif line.startswith("#"):
                continue
            elif line.endswith("\\"):
                pending += line[:-1] + " "
            else:
                steps.append((pending + line, []))
                pending = ""
    return steps


class Shell:
    """One bash for a whole session: run(command) gives (exit status, output with stderr)."""

    def __init__(self, env, cwd):
        self.proc = subprocess.Popen(["bash", "--noprofile", "--norc"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     env=env, cwd=cwd)
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def run(self, command, timeout=60):
        marker = "__done_%s__" % uuid.uuid4().hex
        # Braces, not a subshell: what the command sets stays; stdin is not the session's.
        self.proc.stdin.write("{ %s\n} </dev/null\necho \"\n%s $?\"\n" % (command, marker))
        self.proc.stdin.flush()
        out = []
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise TimeoutError("`%s` took more than %d s" % (command, timeout))
            if line is None:
                raise RuntimeError("bash ended during `%s`" % command)
            if line.startswith(marker):
                if out and out[-1] == "\n":
                    out.pop()  # the newline echo puts before the marker
                return int(line.split()[1]), "".join(out)
            out.append(line)

    def close(self):
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()


def run_steps(test, steps, shell, rewrite=lambda c: c, patience=20, log=lambda: ""):
    """Runs each step in `shell`, `rewrite`-ing its text first; fails `test` with the command,
    its output and `log()` when a command exits non-zero or misses an expectation for longer
    than `patience` seconds."""
    for command, expected in steps:
        command = rewrite(command)
        deadline = time.monotonic() + patience
        while True:
            status, out = shell.run(command)
            missing = [e for e in expected if e not in out]
            if status == 0 and not missing:
                break
            if time.monotonic() > deadline or (status != 0 and not expected):
                test.fail("`%s` exited %d, missing %r\noutput: %s\ntarmac:\n%s"
                          % (command, status, missing, out[-3000:], log()))
            time.sleep(0.3)
