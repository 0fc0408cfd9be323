"""Which user the stack's services run as, and whether that user can read the checkout.

One rule for both places that pick a user: the native runner started as root (nginx's workers
read frontend/dist/) and `python -m stack systemd` (both services run as --user). A user can
read a folder when the mode bits that apply to it (owner, else group, else others) let it
enter every folder on the way; ACLs are not consulted.
"""

import grp
import os
import pwd
import stat
from pathlib import Path

from .env import ROOT
from .errors import StackError

# What the services read: gunicorn's code and config, nginx's web root.
READ_BY_SERVICES = (ROOT / "backend", ROOT / "frontend" / "dist")


def _groups(pw):
    return {pw.pw_gid} | {g.gr_gid for g in grp.getgrall() if pw.pw_name in g.gr_mem}


def shut_folder(user, paths=READ_BY_SERVICES):
    """The first folder on the way to any of `paths` that `user` cannot enter, or None."""
    pw = pwd.getpwnam(user)
    if pw.pw_uid == 0:
        return None
    groups = _groups(pw)
    for path in paths:
        path = Path(path).absolute()
        for folder in [*reversed(path.parents), path]:
            try:
                st = os.stat(folder)
            except FileNotFoundError:
                break  # not there yet (frontend/dist before a build): its parents were checked
            if st.st_uid == pw.pw_uid:
                allowed = st.st_mode & stat.S_IXUSR
            elif st.st_gid in groups:
                allowed = st.st_mode & stat.S_IXGRP
            else:
                allowed = st.st_mode & stat.S_IXOTH
            if not allowed:
                return folder
    return None


def require_readable(user, flag="--user"):
    """Raise a one-line StackError naming the folder `user` cannot enter, and the fixes."""
    folder = shut_folder(user)
    if folder is None:
        return
    mode = stat.S_IMODE(os.stat(folder).st_mode)
    raise StackError(
        f"{flag} {user} cannot enter {folder} (mode {mode:04o}), so it could not read the checkout "
        f"{ROOT}: move the checkout under a folder others can enter (e.g. /srv/app), name a "
        f"{flag} that can read it, or let others through with 'chmod o+x {folder}'."
    )


def nginx_worker_user():
    """The `user` clause for nginx's workers when the runner is root, else "" (they run as us).

    nobody when nobody can read the checkout; root otherwise (a checkout under /root, a private
    home or a mktemp -d folder), since workers that cannot read frontend/dist serve only 404s."""
    if os.geteuid() != 0:
        return ""
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        return "root root"
    if shut_folder("nobody") is not None:
        return "root root"
    return f"nobody {grp.getgrgid(nobody.pw_gid).gr_name}"


def set_nginx_worker_user(conf):
    """Put nginx_worker_user()'s `user` clause at the top of the rendered main config `conf`."""
    user = nginx_worker_user()
    if user:
        conf.write_text(f"user {user};\n" + conf.read_text())
