"""A git smart-HTTP origin: git-http-backend run as CGI behind the recording origin."""

import os
import subprocess
from pathlib import Path

from .origin import Reply

GIT_HTTP_BACKEND = "/usr/lib/git-core/git-http-backend"


def git(*args, cwd=None, env=None):
    e = dict(os.environ)
    e.update({"GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0",
              "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
              "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"})
    if env:
        e.update(env)
    p = subprocess.run(["git", *args], cwd=cwd, env=e, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed ({p.returncode}): {p.stderr}")
    return p.stdout


def make_bare_repo(root, home):
    """Create root/repo.git with two commits; returns (bare_path, head_commit, files)."""
    root = Path(root)
    work = root / "work"
    work.mkdir(parents=True)
    env = {"HOME": str(home)}
    git("init", "-q", "-b", "main", str(work), env=env)
    files = {"README.md": "pipelock git clone test\n",
             "data/blob.bin": "".join(f"line {i} of some data\n" for i in range(5000))}
    for name, text in files.items():
        p = work / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    git("add", "-A", cwd=work, env=env)
    git("commit", "-q", "-m", "first", cwd=work, env=env)
    (work / "second.txt").write_text("second commit\n")
    files["second.txt"] = "second commit\n"
    git("add", "-A", cwd=work, env=env)
    git("commit", "-q", "-m", "second", cwd=work, env=env)
    head = git("rev-parse", "HEAD", cwd=work, env=env).strip()
    bare = root / "repo.git"
    git("clone", "-q", "--bare", str(work), str(bare), env=env)
    return bare, head, files


def cgi_route(project_root):
    """A route function for RecordingOrigin that runs git-http-backend for /repo.git/..."""
    project_root = str(project_root)

    def handle(req):
        path, _, query = req.target.partition("?")
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_PROJECT_ROOT": project_root,
            "GIT_HTTP_EXPORT_ALL": "1",
            "GATEWAY_INTERFACE": "CGI/1.1",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REQUEST_METHOD": req.method,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "REMOTE_ADDR": "127.0.0.1",
            "CONTENT_TYPE": req.header("content-type", ""),
            "CONTENT_LENGTH": str(req.body_len),
        }
        for k, v in req.headers:
            env["HTTP_" + k.upper().replace("-", "_")] = v
        if req.body_len > len(req.body):
            return Reply(status=500, body=b"request body too large for the test CGI\n")
        p = subprocess.run([GIT_HTTP_BACKEND], input=bytes(req.body), env=env,
                           capture_output=True)
        out = p.stdout
        sep = out.find(b"\r\n\r\n")
        sep_len = 4
        if sep < 0:
            sep = out.find(b"\n\n")
            sep_len = 2
        if sep < 0:
            return Reply(status=500, body=b"bad CGI output\n" + p.stderr)
        head, body = out[:sep], out[sep + sep_len:]
        status = 200
        headers = []
        for line in head.replace(b"\r\n", b"\n").split(b"\n"):
            k, _, v = line.decode("latin-1").partition(":")
            v = v.strip()
            if k.lower() == "status":
                status = int(v.split()[0])
            else:
                headers.append((k, v))
        return Reply(status=status, headers=headers, body=body)

    return handle
