"""docker/Dockerfile and docker/compose.yaml, checked without a Docker engine
(issue 4): the image's build stage runs the build script the README's set-up
commands run, every file the Dockerfile copies exists, the runtime stage
installs every library the binaries link, and the compose file describes the
seed's network. The entrypoint itself is run in test_docker_playground.py.
"""

import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
import unittest

import enumd_harness

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DOCKERFILE = os.path.join(REPO, "docker", "Dockerfile")
# The legacy builder (docker.io 20.10) reads .dockerignore only at the root of
# the build context, which compose.yaml and the README make the repository.
DOCKERIGNORE = os.path.join(REPO, ".dockerignore")
COMPOSE = os.path.join(REPO, "docker", "compose.yaml")
ENTRYPOINT = os.path.join(REPO, "docker", "entrypoint.sh")
README = os.path.join(REPO, "README.md")
BIN_DIR = os.path.abspath(enumd_harness.BIN_DIR)
BUILD_SCRIPT = "tools/build.sh"

# Shell text that runs the build script: "bash tools/build.sh" (after an
# optional VAR=value prefix), not a mention in a comment.
RUNS_BUILD_SCRIPT = re.compile(
    r"(^|[;&|(]\s*|\s)(\w+=(\"[^\"]*\"|'[^']*'|\S*)\s+)*bash\s+tools/build\.sh\b", re.M)


def runs_build_script(shell_text):
    """True when the shell text runs the build script outside a # comment."""
    code = re.sub(r"(^|\s)#.*$", "", shell_text, flags=re.M)
    return RUNS_BUILD_SCRIPT.search(code) is not None


def parse_dockerfile(path):
    """[(instruction, argument text, stage index)] with continuation lines
    joined and comments dropped; stage 0 is the first FROM."""
    with open(path) as f:
        lines = f.read().splitlines()
    out, stage, buf = [], -1, ""
    for line in lines:
        if not buf and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if buf and line.lstrip().startswith("#"):
            continue   # a comment inside a continued instruction
        if line.rstrip().endswith("\\"):
            buf += line.rstrip()[:-1] + " "
            continue
        text = (buf + line).strip()
        buf = ""
        instruction, _, args = text.partition(" ")
        instruction = instruction.upper()
        if instruction == "FROM":
            stage += 1
        out.append((instruction, args.strip(), stage))
    return out


def copy_sources(args):
    """(flags, sources, destination) of a COPY/ADD argument text."""
    words = shlex.split(args)
    flags = [w for w in words if w.startswith("--")]
    rest = [w for w in words if not w.startswith("--")]
    if rest and rest[0].startswith("["):
        rest = json.loads(" ".join(rest))
    return flags, rest[:-1], rest[-1]


def entrypoint_defaults():
    """{VAR: default} of the ${ENUMD_X:-default} settings in entrypoint.sh."""
    with open(ENTRYPOINT) as f:
        return dict(re.findall(r"\$\{(ENUMD_\w+):-([^}]*)\}", f.read()))


def readme_setup_commands():
    """The `bash SCRIPT` commands in the code blocks of the README's
    "## Set-up" section (its other commands are dig examples)."""
    with open(README) as f:
        text = f.read()
    section = text.split("## Set-up", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```\n(.*?)```", section, re.S)
    lines = [line.strip() for b in blocks for line in b.splitlines()]
    return [line for line in lines if line.startswith("bash ")]


class DockerfileTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.instructions = parse_dockerfile(DOCKERFILE)
        cls.stages = sorted({s for _, _, s in cls.instructions})

    def stage(self, index):
        return [(i, a) for i, a, s in self.instructions if s == index]

    def test_two_stages_on_the_readmes_debian(self):
        froms = [a for i, a, _ in self.instructions if i == "FROM"]
        self.assertEqual(len(froms), 2, froms)
        self.assertRegex(froms[0], r"^debian:bookworm\s+AS\s+\w+$")
        self.assertEqual(froms[1], "debian:bookworm-slim")
        with open(README) as f:
            self.assertIn("Debian 12", f.read())   # bookworm

    def test_build_stage_and_readme_run_the_same_build_script(self):
        runs = [a for i, a in self.stage(0) if i == "RUN"]
        self.assertTrue(any(runs_build_script(r) for r in runs),
                        f"no RUN of {BUILD_SCRIPT} in the build stage: {runs}")
        # Packages come from tools/deps.sh through the script, nowhere else.
        for r in runs:
            self.assertNotRegex(r, r"apt-get\s+install|apt\s+install",
                                "the build stage installs packages itself; tools/deps.sh does")
        # Each README set-up command reaches the same script.
        commands = readme_setup_commands()
        self.assertGreaterEqual(len(commands), 2, "the README's set-up commands")
        for command in commands:
            with self.subTest(command=command):
                words = shlex.split(command)
                self.assertEqual(words[0], "bash", command)
                script = os.path.join(REPO, words[1])
                with open(script) as f:
                    self.assertTrue(runs_build_script(f.read()),
                                    f"{words[1]} does not run {BUILD_SCRIPT}")

    def test_every_copied_file_exists_in_the_build_context(self):
        ignored = []
        if os.path.exists(DOCKERIGNORE):
            with open(DOCKERIGNORE) as f:
                ignored = [l.strip().rstrip("/") for l in f
                           if l.strip() and not l.startswith("#")]
        copies = [(i, a) for i, a, _ in self.instructions if i in ("COPY", "ADD")]
        self.assertTrue(copies)
        for instruction, args in copies:
            flags, sources, _ = copy_sources(args)
            if any(f.startswith("--from") for f in flags):
                continue
            for source in sources:
                with self.subTest(source=source):
                    path = os.path.join(REPO, source)
                    self.assertTrue(os.path.exists(path), f"{instruction} {source}: no such file")
                    first = source.strip("/").split("/")[0]
                    for pattern in ignored:
                        self.assertFalse(fnmatch.fnmatch(first, pattern),
                                         f"{source} is excluded by {pattern} in the .dockerignore")

    def test_build_stage_builds_only_what_the_image_ships(self):
        """BUILD_TARGETS names exactly the binaries the runtime stage copies:
        no tests, fuzzers or benchmark tools compiled for nothing."""
        runs = " ".join(a for i, a in self.stage(0) if i == "RUN")
        m = re.search(r"BUILD_TARGETS=(\"[^\"]*\"|'[^']*'|\S+)\s+bash\s+tools/build\.sh", runs)
        self.assertIsNotNone(m, runs)
        targets = m.group(1).strip("\"'").split()
        from_build = [copy_sources(a) for i, a in self.stage(1) if i == "COPY" and "--from" in a]
        shipped = sorted(os.path.basename(s) for _, srcs, _ in from_build for s in srcs)
        self.assertEqual(sorted(targets), shipped)
        with open(os.path.join(REPO, BUILD_SCRIPT)) as f:
            self.assertIn("BUILD_TARGETS", f.read())
        # CMake configures every subdirectory, so each must be in the build stage.
        copied = {copy_sources(a)[1][0].strip("/") for i, a in self.stage(0) if i == "COPY"}
        with open(os.path.join(REPO, "CMakeLists.txt")) as f:
            for sub in re.findall(r"add_subdirectory\((\w+)\)", f.read()):
                self.assertIn(sub, copied)

    def test_dockerignore_at_the_context_root_keeps_local_trees_out(self):
        self.assertTrue(os.path.exists(DOCKERIGNORE))
        # BuildKit would prefer a Dockerfile-specific list to the root one:
        # one list only, so that both builders send the same context.
        self.assertFalse(os.path.exists(DOCKERFILE + ".dockerignore"))
        with open(DOCKERIGNORE) as f:
            patterns = {l.strip() for l in f if l.strip() and not l.startswith("#")}
        for must in (".git", "build", "build-*", "var"):
            self.assertIn(must, patterns)
        for name in ("build-asan", "build-fuzz"):
            self.assertTrue(any(fnmatch.fnmatch(name, p) for p in patterns), name)

    def test_runtime_copies_what_the_build_stage_built(self):
        workdir = [a for i, a in self.stage(0) if i == "WORKDIR"][-1]
        from_build = [copy_sources(a) for i, a in self.stage(1) if i == "COPY" and "--from" in a]
        sources = [s for _, srcs, _ in from_build for s in srcs]
        for binary in ("enumd", "enumctl"):
            self.assertIn(os.path.join(workdir, "build", "bin", binary), sources)

    def test_runtime_installs_every_library_the_binaries_link(self):
        """ldd of this build's binaries -> Debian packages; each must be in
        the runtime stage's apt-get install (libc6 is in every image)."""
        if not (shutil.which("ldd") and shutil.which("dpkg")):
            self.skipTest("needs ldd and dpkg")
        binaries = [os.path.join(BIN_DIR, b) for b in ("enumd", "enumctl")]
        if not all(os.access(b, os.X_OK) for b in binaries):
            self.skipTest(f"no built binaries in {BIN_DIR}")
        runs = " ".join(a for i, a in self.stage(1) if i == "RUN")
        installed = set(re.findall(r"[a-z0-9][a-z0-9.+-]+", runs.split("install", 1)[-1]))
        libraries = set()
        for b in binaries:
            ldd = subprocess.run(["ldd", b], capture_output=True, text=True, check=True).stdout
            libraries |= set(re.findall(r"=>\s+(/\S+)", ldd))
        # A sanitizer build (make asan: Debug, shared RocksDB, sanitizer
        # runtimes) links other libraries than the image's tools/build.sh build.
        if any(re.search(r"/lib(asan|ubsan|lsan|tsan)\.so", lib) for lib in libraries):
            self.skipTest("a sanitizer build links other libraries than the image's build")
        packages = {}
        for lib in sorted(libraries):
            owner = None
            for candidate in (lib, os.path.realpath(lib)):
                done = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
                if done.returncode == 0:
                    owner = done.stdout.split(":")[0].strip()
                    break
            self.assertIsNotNone(owner, f"{lib} belongs to no Debian package")
            packages[owner] = lib
        for package, lib in sorted(packages.items()):
            if package == "libc6":
                continue
            with self.subTest(package=package):
                self.assertIn(package, installed, f"{lib} comes from {package}")

    def test_runtime_runs_as_a_user_with_port_53(self):
        runtime = self.stage(1)
        users = [a for i, a in runtime if i == "USER"]
        self.assertTrue(users and users[-1] not in ("root", "0"), users)
        runs = " ".join(a for i, a in runtime if i == "RUN")
        self.assertRegex(runs, r"setcap\s+cap_net_bind_service=\+ep\s+/usr/local/bin/enumd")
        exposed = " ".join(a for i, a in runtime if i == "EXPOSE").split()
        self.assertEqual(sorted(exposed), ["53/tcp", "53/udp"])

    def test_runtime_has_a_health_check_volume_and_the_entrypoint(self):
        runtime = self.stage(1)
        copied = {}
        for i, a in runtime:
            if i == "COPY" and "--from" not in a:
                _, sources, dest = copy_sources(a)
                for s in sources:
                    copied[dest] = s
        entry = [a for i, a in runtime if i == "ENTRYPOINT"]
        self.assertEqual(len(entry), 1)
        self.assertEqual(copied.get(json.loads(entry[0])[0]), "docker/entrypoint.sh")
        health = [a for i, a in runtime if i == "HEALTHCHECK"]
        self.assertEqual(len(health), 1)
        command = json.loads(health[0].split("CMD", 1)[1])
        self.assertEqual(copied.get(command[0]), "docker/healthcheck.sh")
        env = dict(re.findall(r"(ENUMD_\w+)=(\S+)", " ".join(a for i, a in runtime if i == "ENV")))
        volumes = " ".join(a for i, a in runtime if i == "VOLUME").split()
        self.assertIn(env["ENUMD_STORE"], volumes)
        for script in ("entrypoint.sh", "healthcheck.sh"):
            path = os.path.join(REPO, "docker", script)
            with self.subTest(script=script):
                self.assertTrue(os.access(path, os.X_OK), f"{path} is not executable")
                done = subprocess.run(["bash", "-n", path], capture_output=True, text=True)
                self.assertEqual(done.returncode, 0, done.stderr)

    def test_image_environment_equals_the_entrypoints_defaults(self):
        """The ENV lines only make the image's layout explicit: the defaults
        in entrypoint.sh are the same, so the two cannot drift apart."""
        runtime = self.stage(1)
        env = dict(re.findall(r"(ENUMD_\w+)=(\S+)", " ".join(a for i, a in runtime if i == "ENV")))
        defaults = entrypoint_defaults()
        self.assertTrue(env)
        for name, value in env.items():
            with self.subTest(name=name):
                self.assertEqual(defaults.get(name), value)
        # And the paths it names are where the Dockerfile puts things.
        dests = {copy_sources(a)[2].rstrip("/") for i, a in runtime if i == "COPY"}
        self.assertIn(env["ENUMD_ZONES_DIR"], dests)
        self.assertIn(env["ENUMD_CONFIG"], dests)


class ComposeTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        try:
            import yaml
        except ImportError:
            raise unittest.SkipTest("needs PyYAML (apt install python3-yaml)")
        with open(COMPOSE) as f:
            cls.compose = yaml.safe_load(f)
        cls.service = cls.compose["services"]["enum"]

    def test_network_is_the_seeds(self):
        net = self.compose["networks"]["enum_playground"]
        self.assertEqual(net.get("name"), "enum_playground")
        self.assertEqual(net["ipam"]["config"][0]["subnet"], "172.30.0.0/26")
        self.assertEqual(self.service["networks"]["enum_playground"]["ipv4_address"],
                         "172.30.0.2")

    def test_builds_the_dockerfile_from_the_repository_root(self):
        here = os.path.dirname(COMPOSE)
        context = os.path.normpath(os.path.join(here, self.service["build"]["context"]))
        self.assertEqual(context, REPO)
        self.assertTrue(os.path.samefile(
            os.path.join(context, self.service["build"]["dockerfile"]), DOCKERFILE))

    def composes(self):
        """[(name, argv prefix)] of the Compose implementations on this machine."""
        out = []
        if shutil.which("docker-compose"):
            out.append(("docker-compose (v1)", ["docker-compose"]))
        if shutil.which("docker"):
            done = subprocess.run(["docker", "compose", "version"], capture_output=True,
                                  text=True)
            if done.returncode == 0:
                out.append(("docker compose (v2)", ["docker", "compose"]))
        return out

    def test_compose_accepts_the_file(self):
        """`config` parses and normalises the file without an engine; Debian
        12 ships Compose v1 (docker-compose 1.29), which rejected a top-level
        name: key. Read back, the service is read-only with a tmpfs run dir."""
        import yaml
        composes = self.composes()
        if not composes:
            self.skipTest("no docker-compose or docker compose (tools/deps.sh test installs "
                          "docker-compose)")
        run_dir = entrypoint_defaults()["ENUMD_RUN_DIR"]
        for name, argv in composes:
            with self.subTest(compose=name):
                done = subprocess.run([*argv, "-f", COMPOSE, "config"], capture_output=True,
                                      text=True, timeout=60)
                self.assertEqual(done.returncode, 0, done.stderr)
                config = yaml.safe_load(done.stdout)
                service = config["services"]["enum"]
                self.assertIs(service["read_only"], True)
                tmpfs = service["tmpfs"]
                tmpfs = [tmpfs] if isinstance(tmpfs, str) else tmpfs
                self.assertIn(run_dir, [t.split(":")[0] for t in tmpfs])
                self.assertEqual(service["networks"]["enum_playground"]["ipv4_address"],
                                 "172.30.0.2")
                self.assertEqual(config["volumes"]["store"]["name"], "enum_playground_store")

    def test_read_only_run_is_documented(self):
        """docker run --read-only needs the same tmpfs compose gives."""
        run_dir = entrypoint_defaults()["ENUMD_RUN_DIR"]
        tmpfs = [t for t in self.service["tmpfs"] if t.startswith(run_dir + ":")][0]
        with open(README) as f:
            readme = f.read()
        wanted = f"--read-only --tmpfs {tmpfs.split(',mode')[0]}"
        self.assertTrue(wanted in readme, f"the README does not say {wanted}")

    def test_zones_mounted_and_store_in_a_named_volume(self):
        defaults = entrypoint_defaults()
        mounts = {}
        for v in self.service["volumes"]:
            source, target = v.split(":")[:2]
            mounts[target] = source
        zones = mounts[defaults["ENUMD_ZONES_DIR"]]
        self.assertTrue(os.path.samefile(os.path.join(os.path.dirname(COMPOSE), zones),
                                         os.path.join(REPO, "zones")))
        store = mounts[defaults["ENUMD_STORE"]]
        self.assertIn(store, self.compose["volumes"])


class SampleZonesTest(unittest.TestCase):
    """The image serves every *.db file under zones/: each must load."""

    def zone_files(self):
        out = []
        for root, _, files in os.walk(os.path.join(REPO, "zones")):
            out += [os.path.join(root, f) for f in sorted(files) if f.endswith(".db")]
        self.assertGreaterEqual(len(out), 3)
        return out

    def test_enumctl_checks_every_zone_file(self):
        enumctl = os.path.join(BIN_DIR, "enumctl")
        for path in self.zone_files():
            with self.subTest(path=os.path.relpath(path, REPO)):
                done = subprocess.run([enumctl, "check", path], capture_output=True, text=True)
                self.assertEqual(done.returncode, 0, done.stdout + done.stderr)

    def test_named_checkzone_accepts_every_zone_file(self):
        checkzone = shutil.which("named-checkzone")
        if not checkzone:
            self.skipTest("no named-checkzone (apt install bind9-utils)")
        enumctl = os.path.join(BIN_DIR, "enumctl")
        for path in self.zone_files():
            with self.subTest(path=os.path.relpath(path, REPO)):
                out = subprocess.run([enumctl, "check", path], capture_output=True,
                                     text=True).stdout
                origin = out.split(": zone ", 1)[1].split()[0]
                done = subprocess.run([checkzone, origin, path],
                                      capture_output=True, text=True)
                self.assertEqual(done.returncode, 0, done.stdout + done.stderr)


if __name__ == "__main__":
    unittest.main()
