"""The plugin's private working directory (the judge's results, and the snapshots unless
--heapdiff-dir keeps them), made and removed through heapdiff's one safe-create/safe-remove
pair (core's safe_files, through the probe: the same code as the API's temp directory and
attach's request directories; docs/SECURITY.md).

Created owner-only and exclusively (mode 0700 with mkdirat relative to the temporary
directory's descriptor, checked to be this user's), so no other user can put anything in
it. Removed only by the process that created it (a forked child that runs pytest's end
would otherwise take the parent's directory away), only while it is still the directory
that was made (same device and inode, not a symlink put in its place), and only its files,
with unlinkat, never following a link found inside; a directory holding anything else
(a subdirectory) is left in place and the caller is told why.
"""

import os
import tempfile

PREFIX = "heapdiff-pytest-"


class PrivateDir:
    def __init__(self, path, owner_pid, device=0, inode=0):
        self.path = path
        self.owner_pid = owner_pid
        self.device = device
        self.inode = inode


def create():
    """A new private directory under the temporary directory (TMPDIR), absolute, whatever
    the tests do to the working directory afterwards. OSError when it cannot be made."""
    from heapdiff import _probe  # only with --heapdiff: nothing of heapdiff at pytest's start

    parent = os.path.abspath(tempfile.gettempdir())
    made, device, inode = _probe.make_private_directory(os.fsencode(parent), os.fsencode(PREFIX))
    return PrivateDir(os.fsdecode(made), os.getpid(), device, inode)


def remove(private):
    """Remove `private` and its files, in the process that created it only. Returns None,
    or why the directory was left in place (one line)."""
    if os.getpid() != private.owner_pid:
        return None  # a forked child: the directory is its parent's
    try:
        # Only this user can write a 0700 directory of theirs: what is in it was put there
        # by this process and its judge. The names are only names: the removal below checks
        # the directory's identity and unlinks them relative to it.
        names = [os.fsencode(n) for n in os.listdir(private.path)]
    except FileNotFoundError:
        return None
    except OSError as e:
        return "%s not removed: %s" % (private.path, e.strerror or e)
    from heapdiff import _probe

    try:
        removed = _probe.remove_private_directory(os.fsencode(private.path), private.device, private.inode, names)
    except OSError as e:
        return "%s not removed: %s" % (private.path, e.strerror or e)
    if not removed and os.path.lexists(private.path):
        return "%s left in place: it is no longer the directory heapdiff made, or holds a directory" % private.path
    return None
