"""The corpus: every app under tests/e2e/templates/ is started and exercised through the
commands its README.md gives, as a new user would type them.

A README's "## Try it" section holds one ```sh block. The test copies the app to a fresh
folder and runs the block's commands there in bash, with `tarmac` on PATH and the AWS
environment pointing at the running Tarmac:
- `tarmac serve . [ARGS]` is started by the test (edge on a free port, state in the app's
  .tarmac, so that `tarmac invoke` goes through it); the commands before it run first;
- `# → TEXT` after a command: TEXT is in what the command printed (stdout and stderr);
- `# → exit N`: the command exits with N (else it must exit 0).
The test ends with one line on stderr: how many apps start and how many `tarmac check`
finds clean."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

from harness import Tarmac, run_tarmac, tarmac_binary

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATES = os.path.join(HERE, "templates")
EXPECT = re.compile(r"^#\s*→\s*(.*)$")


def try_it_block(readme):
    """The commands of the README's "## Try it" block: [(command, [expectations])]."""
    with open(readme) as f:
        text = f.read()
    section = text.split("## Try it", 1)
    if len(section) < 2:
        return None
    m = re.search(r"```sh\n(.*?)```", section[1], re.S)
    if not m:
        return None
    steps = []
    pending = ""
    for raw in m.group(1).splitlines():
        line = raw.rstrip()
        e = EXPECT.match(line.strip())
        if e:
            steps[-1][1].append(e.group(1).strip())
            continue
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        steps.append([pending + line, []])
        pending = ""
    return steps


def apps():
    return sorted(d for d in os.listdir(TEMPLATES)
                  if os.path.isfile(os.path.join(TEMPLATES, d, "README.md")))


class Corpus(unittest.TestCase):
    results = {}

    @classmethod
    def tearDownClass(cls):
        started = sum(1 for r in cls.results.values() if r["started"])
        clean = sum(1 for r in cls.results.values() if r["check"] == 0)
        print("corpus: %d apps, %d start, %d clean under tarmac check (%s)"
              % (len(cls.results), started, clean,
                 ", ".join("%s%s" % (name, "" if r["check"] == 0 else " [check %s]" % r["check"])
                           for name, r in sorted(cls.results.items()))),
              file=sys.stderr)

    def run_app(self, name):
        steps = try_it_block(os.path.join(TEMPLATES, name, "README.md"))
        self.assertTrue(steps, "%s/README.md has no ## Try it ```sh block" % name)
        tmp = tempfile.TemporaryDirectory(prefix="tarmac-corpus-")
        self.addCleanup(tmp.cleanup)
        root = os.path.join(tmp.name, name)
        shutil.copytree(os.path.join(TEMPLATES, name), root,
                        ignore=shutil.ignore_patterns(".tarmac", "node_modules", "__pycache__"))
        bindir = os.path.join(tmp.name, "bin")
        os.makedirs(bindir)
        os.symlink(os.path.abspath(tarmac_binary()), os.path.join(bindir, "tarmac"))
        self.results[name] = {"started": False, "check": None}
        env = dict(os.environ, PATH=bindir + os.pathsep + os.environ["PATH"])
        tarmac = None
        batch = []
        serve_args = []
        try:
            for command, expectations in steps + [("tarmac serve . # end", [])]:
                serve = re.match(r"^tarmac serve \.(.*?)(&\s*)?$", command)
                if not serve:
                    batch.append((command, expectations))
                    continue
                self.run_batch(name, root, env, batch)
                batch = []
                if command.endswith("# end"):
                    break
                serve_args = serve.group(1).split()
                tarmac = Tarmac(*serve_args, project=root,
                                state=os.path.join(root, ".tarmac"), env=env, cwd=root,
                                ready_timeout=60).start()
                self.results[name]["started"] = True
                env = dict(tarmac.client_env(), PATH=env["PATH"])
        finally:
            if tarmac:
                tarmac.stop()
        self.results[name]["check"] = run_tarmac("check", root, *serve_args, cwd=root).returncode

    def run_batch(self, name, root, env, batch):
        """The commands in one bash, so that variables carry from one to the next; each
        one's output and status are kept and checked in order."""
        if not batch:
            return
        out = tempfile.mkdtemp(prefix="steps-", dir=os.path.dirname(root))
        script = []
        for i, (command, _) in enumerate(batch):
            script.append("{ %s\n} > %s/%d.out 2>&1 < /dev/null; echo $? > %s/%d.rc"
                          % (command, out, i, out, i))
        subprocess.run(["bash", "-c", "\n".join(script)], cwd=root, env=env, timeout=900)
        for i, (command, expectations) in enumerate(batch):
            with open(os.path.join(out, "%d.out" % i)) as f:
                printed = f.read()
            with open(os.path.join(out, "%d.rc" % i)) as f:
                status = int(f.read())
            wanted = [int(e.split()[1]) for e in expectations if re.match(r"^exit \d+$", e)]
            self.assertEqual(status, wanted[0] if wanted else 0,
                             "%s: `%s` printed:\n%s" % (name, command, printed))
            for e in expectations:
                if not re.match(r"^exit \d+$", e):
                    self.assertIn(e, printed, "%s: `%s`" % (name, command))


def _make_test(name):
    def test(self):
        self.run_app(name)
    test.__doc__ = "tests/e2e/templates/%s, as its README says" % name
    return test


for _name in apps():
    setattr(Corpus, "test_" + _name.replace("-", "_"), _make_test(_name))


class CorpusSize(unittest.TestCase):
    def test_at_least_twelve_apps(self):
        self.assertGreaterEqual(len(apps()), 12, apps())


if __name__ == "__main__":
    unittest.main()
