#!/usr/bin/env python3
"""Checks the CI templates (ci/github-actions.yml, ci/gitlab-ci.yml; docs/ci.md describes them): each parses as
YAML and has the structure its CI system needs, and every `threadmill` command they run exists, with every option it uses,
in the given driver's --help; every ci/ file they name exists in the repository.

usage: check_ci_templates.py --threadmill PATH/TO/threadmill --repo REPO_ROOT TEMPLATE.yml...
       check_ci_templates.py --self-test      (feeds the checks broken templates; each must be reported)

A template whose file name contains "gitlab" is read as GitLab CI, any other as a GitHub Actions workflow.
Exit status: 0 every check holds; 1 a problem (each one printed: file, job, what); 2 a usage error, or PyYAML
or the driver cannot be run."""
import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path


def import_yaml():
    """PyYAML, from this interpreter or else from the system one: CMake may find a Python (pyenv, a venv)
    without the Debian package python3-yaml that ci/setup.sh installs."""
    try:
        import yaml
        return yaml
    except ImportError:
        pass
    system = "/usr/bin/python3"
    if (os.access(system, os.X_OK) and os.path.realpath(sys.executable) != os.path.realpath(system)
            and not os.environ.get("TM_CHECK_CI_TEMPLATES_REEXEC")):
        os.environ["TM_CHECK_CI_TEMPLATES_REEXEC"] = "1"
        os.execv(system, [system, *sys.argv])
    print(f"check_ci_templates: error: cannot import yaml (PyYAML) in {sys.executable}: install python3-yaml "
          "(bash ci/setup.sh does)", file=sys.stderr)
    sys.exit(2)


yaml = import_yaml()


# --- the driver's --help ----------------------------------------------------------------------------------

@dataclass
class Help:
    """What one (sub)command's --help lists: its options (name -> whether it takes a value) and subcommands."""
    options: dict = field(default_factory=dict)
    subcommands: set = field(default_factory=set)


OPTION_LINE = re.compile(r"^  (-{1,2}[A-Za-z0-9][\w-]*(?:,-{1,2}[A-Za-z0-9][\w-]*)*)(.*)$")
SUBCOMMAND_LINE = re.compile(r"^  ([a-z][\w-]*)(?:\s|$)")


def parse_help(text: str) -> Help:
    """Reads CLI11's help layout: option rows start with two spaces and a dash (`  -o,--output TEXT REQUIRED`);
    one space and a capitalised word after the names is a value (`TEXT`, `UINT`, `FORMAT=PATH`), two or more
    spaces start the description of a flag. Subcommand rows are the indented words under `Subcommands:`."""
    h = Help()
    section = ""
    for line in text.splitlines():
        if line and not line.startswith(" "):
            section = line.strip().rstrip(":").lower()
            continue
        m = OPTION_LINE.match(line)
        if m:
            takes_value = re.match(r"^ [A-Z]", m.group(2)) is not None
            for name in m.group(1).split(","):
                h.options[name] = takes_value
            continue
        if section == "subcommands":
            m = SUBCOMMAND_LINE.match(line)
            if m:
                h.subcommands.add(m.group(1))
    return h


class DriverHelp:
    """The --help of the real driver, per subcommand path, run once each."""

    def __init__(self, binary: str):
        self.binary = binary
        self.cache = {}

    def text(self, path: tuple):
        try:
            r = subprocess.run([self.binary, *path, "--help"], capture_output=True, text=True, timeout=60)
        except OSError as e:
            raise SystemExit(f"check_ci_templates: error: cannot run {self.binary}: {e.strerror}")
        if r.returncode != 0:
            return None
        return r.stdout

    def get(self, path: tuple):
        if path not in self.cache:
            text = self.text(path)
            self.cache[path] = None if text is None else parse_help(text)
        return self.cache[path]


class CannedHelp(DriverHelp):
    """Help texts given as strings (the self-test), keyed by subcommand path."""

    def __init__(self, texts: dict):
        super().__init__("threadmill")
        self.texts = texts

    def text(self, path: tuple):
        return self.texts.get(path)


# --- shell text -------------------------------------------------------------------------------------------

@dataclass
class Script:
    """Shell text a template runs, and where it is (job, step)."""
    where: str
    text: str


SEPARATOR_CHARS = "();<>|&\n"
KEYWORDS = {"if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}", "time", "exec",
            "command"}
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
GITHUB_EXPRESSION = re.compile(r"\$\{\{.*?\}\}", re.S)


def strip_comments(text: str) -> str:
    """Drops `# ...` comments (a `#` that starts a word, outside quotes) and joins lines continued by a
    backslash, so the tokenizer sees one command per line."""
    out = []
    quote = ""
    i = 0
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\" and quote == '"' and i + 1 < len(text):
                out.append(text[i:i + 2])
                i += 2
                continue
            if c == quote:
                quote = ""
            out.append(c)
        elif c == "\\" and i + 1 < len(text):
            if text[i + 1] == "\n":
                out.append(" ")
            else:
                out.append(text[i:i + 2])
            i += 2
            continue
        elif c in "'\"":
            quote = c
            out.append(c)
        elif c == "#" and (i == 0 or text[i - 1] in " \t\n;&|("):
            while i < len(text) and text[i] != "\n":
                i += 1
            continue
        else:
            out.append(c)
        i += 1
    return "".join(out)


def simple_commands(text: str):
    """Splits shell text into simple commands (lists of words): at newlines, `;`, `&&`, `||`, `|`, `&` and
    parentheses (so `$( ... )` is a command of its own); a redirection and its target are dropped. Raises
    ValueError for text the tokenizer cannot read (an unclosed quote)."""
    lex = shlex.shlex(strip_comments(text), posix=True, punctuation_chars=SEPARATOR_CHARS)
    lex.whitespace = " \t\r"
    lex.whitespace_split = True
    lex.commenters = ""
    commands, words = [], []
    skip_next = False
    for token in lex:
        if token and all(c in SEPARATOR_CHARS for c in token):
            if "<" in token or ">" in token:  # `> file`, `>> file`, `2>&1` (tokens 2, >&, 1): drop the target
                skip_next = True
                continue
            if words:
                commands.append(words)
            words = []
            continue
        if skip_next:
            skip_next = False
            continue
        words.append(token)
    if words:
        commands.append(words)
    return commands


def program_words(words):
    """The command a list of words runs, with what precedes it (keywords, `VAR=value`, `env`) left out."""
    i = 0
    while i < len(words):
        w = words[i]
        if w in KEYWORDS or ASSIGNMENT.match(w):
            i += 1
        elif w == "env":
            i += 1
            while i < len(words) and (words[i].startswith("-") or ASSIGNMENT.match(words[i])):
                i += 1
        else:
            break
    return words[i:]


def is_threadmill(program: str) -> bool:
    return program == "threadmill" or program.endswith("/threadmill")


# --- the checks -------------------------------------------------------------------------------------------

class Problems:
    def __init__(self):
        self.lines = []

    def add(self, file: str, where: str, what: str):
        self.lines.append(f"{file}: {where}: {what}" if where else f"{file}: {what}")


def check_invocation(words, helps, problems, file, where):
    """One `threadmill ...` command: its subcommands must exist and every option must be in the --help of the
    (sub)command it follows (options before the first subcommand are the driver's own)."""
    path = ()
    h = helps.get(path)
    if h is None:
        problems.add(file, where, f"`{words[0]} --help` fails")
        return
    args = words[1:]
    i = 0
    while i < len(args):
        a = args[i]
        i += 1
        if a == "--":
            break
        shown = " ".join(("threadmill",) + path)
        if a.startswith("--") or re.fullmatch(r"-[A-Za-z]", a):
            name, eq, _ = a.partition("=")
            takes_value = h.options.get(name)
            if takes_value is None:
                problems.add(file, where, f"{shown}: no option {name} in `{shown} --help`")
                # Unknown: take a following plain word as its value rather than as a subcommand or path.
                takes_value = i < len(args) and not args[i].startswith("-") and args[i] not in h.subcommands
            if takes_value and not eq:
                i += 1
        elif a.startswith("-") and len(a) > 1:
            continue  # grouped short flags (-qv) or a negative number
        elif a in h.subcommands:
            path += (a,)
            h = helps.get(path)
            if h is None:
                problems.add(file, where, f"`{' '.join(('threadmill',) + path)} --help` fails")
                return
        elif not path:
            problems.add(file, where, f"threadmill: unknown subcommand '{a}' (`threadmill --help` lists "
                                      f"{', '.join(sorted(h.subcommands))})")
            return


VERBOSE = False
CI_PATH = re.compile(r"^(?:\./)?(ci/[\w.+-][\w./+-]*)$")


def check_scripts(scripts, helps, repo: Path, problems, file):
    """Every threadmill command in the scripts, and every ci/ file they name. Returns the threadmill commands
    found, as (where, words); with --verbose, prints them."""
    found = []
    for s in scripts:
        try:
            commands = simple_commands(GITHUB_EXPRESSION.sub("GITHUB_EXPRESSION", s.text))
        except ValueError as e:
            problems.add(file, s.where, f"cannot split the script into commands: {e}")
            continue
        for words in commands:
            for w in words:
                m = CI_PATH.match(w)
                if m and not any(c in w for c in "*?[$") and not (repo / m.group(1)).exists():
                    problems.add(file, s.where, f"{m.group(1)} does not exist in {repo}")
            run = program_words(words)
            if run and is_threadmill(run[0]):
                check_invocation(run, helps, problems, file, s.where)
                found.append((s.where, run))
                if VERBOSE:
                    print(f"{file}: {s.where}: checked: {' '.join(run)}")
    return found


def runs(found, *subcommand_and_option):
    """The places whose threadmill command has these words (a subcommand, an option), in any position."""
    return [where for where, words in found
            if all(any(w == x or w.startswith(x + "=") for w in words[1:]) for x in subcommand_and_option)]


def as_list(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def flat_lines(value):
    """A GitLab script: a string, or a list of strings and (through anchors) nested lists."""
    if isinstance(value, str):
        return [value]
    out = []
    for item in as_list(value):
        out.extend(flat_lines(item))
    return out


# GitHub Actions ---------------------------------------------------------------------------------------------

PINNED_USES = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(?:/[^@\s]+)?@[A-Za-z0-9_./-]+$")
# The GITHUB_TOKEN permissions an action needs; `write` also grants `read`.
ACTION_PERMISSIONS = {
    "actions/checkout": {"contents": "read"},
    "github/codeql-action/upload-sarif": {"security-events": "write"},
    "mikepenz/action-junit-report": {"checks": "write"},
    "dorny/test-reporter": {"checks": "write"},
}
LEVEL = {"none": 0, "read": 1, "write": 2}


def granted(permissions, scope: str) -> int:
    if permissions in ("write-all",):
        return 2
    if permissions in ("read-all",):
        return 1
    if isinstance(permissions, dict):
        return LEVEL.get(str(permissions.get(scope, "none")), 0)
    return 0


def runs_after_failure(condition) -> bool:
    return isinstance(condition, str) and any(f in condition for f in ("always()", "!cancelled()", "failure()"))


def check_github(file, data, helps, repo, problems):
    if not isinstance(data, dict):
        problems.add(file, "", "the workflow is not a YAML mapping")
        return
    # YAML 1.1 reads the key `on` as the boolean true.
    if "on" not in data and True not in data:
        problems.add(file, "", "no 'on' (the events that start the workflow)")
    jobs = data.get("jobs")
    if not isinstance(jobs, dict) or not jobs:
        problems.add(file, "", "'jobs' is not a mapping of jobs")
        return
    scripts = []
    for name, job in jobs.items():
        where = f"job '{name}'"
        if not isinstance(job, dict):
            problems.add(file, where, "is not a mapping")
            continue
        for need in as_list(job.get("needs")):
            if need not in jobs:
                problems.add(file, where, f"needs '{need}', which is not a job of this workflow")
        if "uses" in job:  # a reusable workflow: no runner, no steps of its own
            if not PINNED_USES.match(str(job["uses"])) and not str(job["uses"]).startswith("./"):
                problems.add(file, where, f"uses '{job['uses']}' without a ref (owner/repo/path@ref)")
            continue
        if "runs-on" not in job:
            problems.add(file, where, "has no 'runs-on'")
        steps = job.get("steps")
        if not isinstance(steps, list) or not steps:
            problems.add(file, where, "has no list of 'steps'")
            continue
        permissions = job.get("permissions", data.get("permissions"))
        for n, step in enumerate(steps, 1):
            step_where = f"{where}, step {n}"
            if not isinstance(step, dict):
                problems.add(file, step_where, "is not a mapping")
                continue
            if step.get("name"):
                step_where = f"{where}, step '{step['name']}'"
            if ("run" in step) == ("uses" in step):
                problems.add(file, step_where, "must have exactly one of 'run' and 'uses'")
            if "run" in step:
                shell = str(step.get("shell", job.get("defaults", {}).get("run", {}).get("shell", "bash")))
                if shell.split()[0] in ("bash", "sh"):
                    scripts.append(Script(step_where, str(step["run"])))
            if "uses" in step:
                uses = str(step["uses"])
                if uses.startswith("./") or (uses.startswith("docker://") and re.search(r"[:@][^/]+$", uses)):
                    continue
                if not PINNED_USES.match(uses):
                    problems.add(file, step_where, f"uses '{uses}' is not pinned (owner/repo@ref or "
                                                   "owner/repo/path@ref)")
                    continue
                action = uses.split("@")[0]
                for scope, level in ACTION_PERMISSIONS.get(action, {}).items():
                    if granted(permissions, scope) < LEVEL[level]:
                        problems.add(file, step_where, f"{action} needs the permission '{scope}: {level}' "
                                                       f"(job or workflow 'permissions')")
    found = check_scripts(scripts, helps, repo, problems, file)

    # The sharded run: a matrix job of 4 shards that does not cancel its siblings, and the jobs after it run
    # even when a shard missed (exit 1).
    sharded = [n for n, j in jobs.items() if isinstance(j, dict)
               and isinstance(j.get("strategy"), dict) and isinstance(j["strategy"].get("matrix"), dict)
               and "shard" in j["strategy"]["matrix"]]
    if not sharded:
        problems.add(file, "", "no job has a matrix of shards (strategy.matrix.shard)")
    for name in sharded:
        job = jobs[name]
        where = f"job '{name}'"
        shards = job["strategy"]["matrix"]["shard"]
        if not isinstance(shards, list) or sorted(shards) != [1, 2, 3, 4]:
            problems.add(file, where, f"the matrix must have 4 shards, numbered 1 to 4 (it has {shards!r})")
        elif job["strategy"].get("fail-fast", True) is not False:
            problems.add(file, where, "strategy.fail-fast must be false: a shard that misses would cancel "
                                      "the others")
        envs = [job.get("env") or {}] + [s.get("env") or {} for s in job.get("steps") or [] if isinstance(s, dict)]
        for env in envs:
            value = env.get("THREADMILL_SHARD") if isinstance(env, dict) else None
            if value is not None and isinstance(shards, list) and not str(value).endswith(f"/{len(shards)}"):
                problems.add(file, where, f"THREADMILL_SHARD is '{value}', not K/{len(shards)}")
        if not any(w.startswith(where) for w in runs(found, "run", "--shard")):
            problems.add(file, where, "runs no `threadmill run --shard ...`")
        for other, job2 in jobs.items():
            if isinstance(job2, dict) and name in as_list(job2.get("needs")) and not runs_after_failure(job2.get("if")):
                problems.add(file, f"job '{other}'", f"needs '{name}' but has no `if: always()`: a shard that "
                                                     "missed would skip it")
    if not runs(found, "report", "merge"):
        problems.add(file, "", "no step runs `threadmill report merge`")


# GitLab CI --------------------------------------------------------------------------------------------------

GITLAB_DEFAULT_STAGES = [".pre", "build", "test", "deploy", ".post"]


def check_gitlab(file, data, helps, repo, problems):
    if not isinstance(data, dict):
        problems.add(file, "", "the pipeline is not a YAML mapping")
        return
    stages = data.get("stages", GITLAB_DEFAULT_STAGES)
    if not isinstance(stages, list):
        problems.add(file, "", "'stages' is not a list")
        stages = []
    stages = set(stages) | {".pre", ".post"}
    jobs = {n: j for n, j in data.items()
            if isinstance(n, str) and not n.startswith(".") and isinstance(j, dict) and "script" in j}
    if not jobs:
        problems.add(file, "", "no job (a top-level mapping with a 'script')")
        return
    scripts = []
    default = data.get("default") if isinstance(data.get("default"), dict) else {}
    for key in ("before_script", "after_script"):
        for line in flat_lines(default.get(key)) + flat_lines(data.get(key)):
            scripts.append(Script(f"default {key}", line))
    for name, job in jobs.items():
        where = f"job '{name}'"
        stage = job.get("stage", "test")
        if stage not in stages:
            problems.add(file, where, f"stage '{stage}' is not in 'stages'")
        for need in as_list(job.get("needs")):
            if isinstance(need, dict):
                if "project" in need or "pipeline" in need:
                    continue
                need = need.get("job")
            if need not in jobs:
                problems.add(file, where, f"needs '{need}', which is not a job of this pipeline")
        for key in ("before_script", "script", "after_script"):
            for line in flat_lines(job.get(key)):
                scripts.append(Script(f"{where} {key}", line))
    found = check_scripts(scripts, helps, repo, problems, file)

    shard_jobs = sorted({w.split("'")[1] for w in runs(found, "run", "--shard") if w.startswith("job '")})
    if not shard_jobs:
        problems.add(file, "", "no job runs `threadmill run --shard ...`")
    for name in shard_jobs:
        if jobs[name].get("parallel") != 4:
            problems.add(file, f"job '{name}'", f"runs the shards but has 'parallel: {jobs[name].get('parallel')}'"
                                                ", not 'parallel: 4'")
        for other, job in jobs.items():
            needs = [n.get("job") if isinstance(n, dict) else n for n in as_list(job.get("needs"))]
            if name in needs and job.get("when") != "always":
                problems.add(file, f"job '{other}'", f"needs '{name}' but has no `when: always`: a shard that "
                                                     "missed would skip it")
    if not any(isinstance(j.get("artifacts"), dict) and isinstance(j["artifacts"].get("reports"), dict)
               and j["artifacts"]["reports"].get("junit") for j in jobs.values()):
        problems.add(file, "", "no job has 'artifacts: reports: junit' (the test view)")
    if not runs(found, "report", "merge"):
        problems.add(file, "", "no job runs `threadmill report merge`")


def check_text(file: str, text: str, helps, repo: Path, problems: Problems):
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problems.add(file, "", f"cannot parse the YAML: {at}{getattr(e, 'problem', None) or e}")
        return
    if "gitlab" in Path(file).name:
        check_gitlab(file, data, helps, repo, problems)
    else:
        check_github(file, data, helps, repo, problems)


# --- self-test --------------------------------------------------------------------------------------------

CANNED_HELP = {
    (): """threadmill: a harness.
Usage: threadmill [OPTIONS] SUBCOMMAND

Options:
  -h,--help                   Print this help message and exit
  --worker-dir TEXT           folder holding threadmill-worker

Subcommands:
  run                         run scenarios
  report                      rebuild reports
  compare                     compare two saved runs
  doctor                      check the machine
""",
    ("run",): """run scenarios
Usage: threadmill run [OPTIONS] paths...

Positionals:
  paths TEXT ... REQUIRED     scenario files

Options:
  -h,--help                   Print this help message and exit
  --seed UINT:UINT64 ...      seed(s) of the run
  --seeds INT:INT in [1 - 1000]
                              run N seeds
  --shard TEXT                run shard K of N, or auto
  --out TEXT=threadmill-out   output folder
  -q,--quiet                  no console report
""",
    ("report",): """rebuild reports
Usage: threadmill report [OPTIONS] [results] [SUBCOMMAND]

Options:
  -h,--help                   Print this help message and exit
  --report FORMAT=PATH ...    write a report
  --console                   also print the console report

Subcommands:
  merge                       merge results.jsonl files
""",
    ("report", "merge"): """merge results.jsonl files
Usage: threadmill report merge [OPTIONS] inputs...

Options:
  -h,--help                   Print this help message and exit
  --strict                    refuse a bad line
  -o,--output TEXT REQUIRED   the merged results.jsonl
""",
    ("compare",): """compare two saved runs
Usage: threadmill compare [OPTIONS] base new

Options:
  -h,--help                   Print this help message and exit
  --tolerance TEXT=10%        a smaller change is not a regression
""",
    ("doctor",): """check the machine
Usage: threadmill doctor [OPTIONS]

Options:
  -h,--help                   Print this help message and exit
""",
}

GOOD_GITHUB = r"""name: t
on: [push]
permissions:
  contents: read
jobs:
  shard:
    runs-on: ubuntu-latest
    strategy:
      fail-fast: false
      matrix:
        shard: [1, 2, 3, 4]
    env:
      THREADMILL_SHARD: "${{ matrix.shard }}/4"
    steps:
      - uses: actions/checkout@v4
      - run: bash ci/setup.sh  # installs what the build needs
      - name: Run
        run: |
          ./build/threadmill run scenarios --shard auto --seed ${{ github.run_number }} \
            --seeds 2 --out out/shard
  merge:
    needs: shard
    if: always()
    runs-on: ubuntu-latest
    permissions:
      contents: read
      security-events: write
    steps:
      - uses: actions/checkout@v4
      - name: Merge
        run: |
          status=0
          ./build/threadmill report merge -o out/merged/results.jsonl shard-*/results.jsonl
          ./build/threadmill report out/merged/results.jsonl --console --report sarif=x.sarif || status=$?
          if [ -f b.jsonl ]; then ./build/threadmill compare b.jsonl out/merged/results.jsonl > c.txt; fi
          exit "$status"
      - uses: github/codeql-action/upload-sarif@v3
        with:
          sarif_file: x.sarif
"""

GOOD_GITLAB = r"""stages: [test, report]
default:
  image: debian:12
shard:
  stage: test
  parallel: 4
  script:
    - bash ci/setup.sh
    - ./build/threadmill run scenarios --shard auto --seed "$CI_PIPELINE_IID" --seeds 2 --out "out/shard-$CI_NODE_INDEX"
  artifacts:
    when: always
    paths: [out/shard-*/results.jsonl]
merge:
  stage: report
  needs: [shard]
  when: always
  script:
    - ./build/threadmill report merge -o out/merged/results.jsonl out/shard-*/results.jsonl
    - status=0
    - ./build/threadmill report out/merged/results.jsonl --report junit=out/merged/junit.xml || status=$?
    - exit "$status"
  artifacts:
    reports:
      junit: out/merged/junit.xml
"""

# (what is broken, which template, text replaced, replacement, a part of the problem it must produce)
BROKEN = [
    ("a needs naming a missing job", "github", "needs: shard", "needs: [shard, build]", "needs 'build'"),
    ("an unpinned uses", "github", "uses: actions/checkout@v4\n      - run", "uses: actions/checkout\n      - run",
     "'actions/checkout' is not pinned"),
    ("an unknown threadmill option", "github", "--seeds 2 --out", "--seeds 2 --no-such-option --out",
     "threadmill run: no option --no-such-option"),
    ("an unknown option after a line continuation", "github", "\\\n            --seeds",
     "\\\n            --no-such-option --seeds", "no option --no-such-option"),
    ("an unknown option after VAR=value", "github", "- run: bash ci/setup.sh",
     "- run: THREADMILL_SHARD=1/4 ./build/threadmill run x --bogus", "threadmill run: no option --bogus"),
    ("an unknown option of a nested subcommand", "github", "-o out/merged/results.jsonl",
     "-o out/merged/results.jsonl --console", "threadmill report merge: no option --console"),
    ("an unknown short option", "github", "-o out/merged", "-x out/merged", "no option -x"),
    ("an unknown option in a command substitution", "github", "status=0", "n=$(./build/threadmill run x --nope)",
     "no option --nope"),
    ("an unknown subcommand", "github", "threadmill run scenarios", "threadmill runn scenarios",
     "unknown subcommand 'runn'"),
    ("a ci/ file that does not exist", "github", "bash ci/setup.sh", "bash ci/no-such.sh",
     "ci/no-such.sh does not exist"),
    ("a step with both run and uses", "github", "- run: bash ci/setup.sh",
     "- run: bash ci/setup.sh\n        uses: actions/cache@v4", "exactly one of 'run' and 'uses'"),
    ("a job without runs-on", "github", "    if: always()\n    runs-on: ubuntu-latest\n", "    if: always()\n",
     "has no 'runs-on'"),
    ("a matrix of 3 shards", "github", "[1, 2, 3, 4]", "[1, 2, 3]", "4 shards"),
    ("a THREADMILL_SHARD not K/4", "github", '}}/4"', '}}/5"', "not K/4"),
    ("shards that cancel each other", "github", "fail-fast: false", "fail-fast: true", "fail-fast"),
    ("no permission for the SARIF upload", "github", "security-events: write", "security-events: read",
     "'security-events: write'"),
    ("a merge skipped after a missed shard", "github", "    if: always()\n", "", "no `if: always()`"),
    ("a workflow without on", "github", "on: [push]\n", "", "no 'on'"),
    ("no report merge", "github", "report merge -o", "report -o", "no step runs `threadmill report merge`"),
    ("YAML that does not parse", "github", "jobs:\n", "jobs: [\n", "cannot parse the YAML"),
    ("a stage not in stages", "gitlab", "stage: report", "stage: publish", "stage 'publish' is not in 'stages'"),
    ("a GitLab needs naming a missing job", "gitlab", "needs: [shard]", "needs: [shard, build]", "needs 'build'"),
    ("parallel 3", "gitlab", "parallel: 4", "parallel: 3", "'parallel: 3'"),
    ("no JUnit report", "gitlab", "reports:\n      junit: out/merged/junit.xml", "paths: [out/merged/]",
     "reports: junit"),
    ("a merge skipped after a missed shard (GitLab)", "gitlab", "  when: always\n  script", "  script",
     "no `when: always`"),
    ("an unknown option (GitLab)", "gitlab", "--seeds 2", "--seeds 2 --no-such-option",
     "threadmill run: no option --no-such-option"),
    ("an unknown report option (GitLab)", "gitlab", "results.jsonl --report", "results.jsonl --no-such-report",
     "threadmill report: no option --no-such-report"),
]


def self_test() -> int:
    helps = CannedHelp(CANNED_HELP)
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp)
        (repo / "ci").mkdir()
        (repo / "ci" / "setup.sh").write_text("#!/bin/sh\n")
        good = {"github": ("github-actions.yml", GOOD_GITHUB), "gitlab": ("gitlab-ci.yml", GOOD_GITLAB)}
        for kind, (name, text) in good.items():
            p = Problems()
            check_text(name, text, helps, repo, p)
            if p.lines:
                failures += 1
                print(f"FAIL the valid {kind} template is reported:")
                print("\n".join("  " + line for line in p.lines))
            else:
                print(f"ok   the valid {kind} template passes")
        for what, kind, old, new, expected in BROKEN:
            name, text = good[kind]
            if old not in text:
                failures += 1
                print(f"FAIL {what}: the self-test's own template lacks {old!r}")
                continue
            p = Problems()
            check_text(name, text.replace(old, new, 1), helps, repo, p)
            if any(expected in line for line in p.lines):
                print(f"ok   {what}: {next(line for line in p.lines if expected in line)}")
            else:
                failures += 1
                print(f"FAIL {what}: no problem mentions {expected!r}; reported:")
                print("\n".join("  " + line for line in p.lines) or "  nothing")
    cases = len(BROKEN) + len(good)
    print(f"check_ci_templates self-test: {cases - failures} of {cases} cases as expected")
    return 1 if failures else 0


# --- main -------------------------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threadmill", help="the threadmill driver whose --help the commands must match")
    parser.add_argument("--repo", help="the repository root (ci/ paths, relative template paths)")
    parser.add_argument("--self-test", action="store_true", help="check that broken templates are reported")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every threadmill command checked")
    parser.add_argument("templates", nargs="*")
    args = parser.parse_args()
    global VERBOSE
    VERBOSE = args.verbose
    if args.self_test:
        return self_test()
    if not args.threadmill or not args.repo or not args.templates:
        parser.print_usage(sys.stderr)
        print("check_ci_templates: error: --threadmill, --repo and at least one template are required",
              file=sys.stderr)
        return 2
    repo = Path(args.repo)
    if not os.access(args.threadmill, os.X_OK):
        print(f"check_ci_templates: error: {args.threadmill} is not an executable", file=sys.stderr)
        return 2
    helps = DriverHelp(args.threadmill)
    problems = Problems()
    for t in args.templates:
        path = Path(t)
        if not path.exists() and not path.is_absolute() and (repo / path).exists():
            path = repo / path
        try:
            text = path.read_text()
        except OSError as e:
            problems.add(t, "", f"cannot read it: {e.strerror}")
            continue
        check_text(t, text, helps, repo, problems)
    for line in problems.lines:
        print(line)
    if problems.lines:
        print(f"check_ci_templates: {len(problems.lines)} problem{'s' if len(problems.lines) != 1 else ''}")
        return 1
    print(f"check_ci_templates: {', '.join(args.templates)}: every check holds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
