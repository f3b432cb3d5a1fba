"""The plugin's private working directory (the judge's results, and the snapshots unless
--heapdiff-dir keeps them): the one create/remove pair for it, so that both can later go
through heapdiff's shared safe-create/safe-remove module.

Created owner-only and exclusively (tempfile.mkdtemp: mode 0700, mkdir fails rather than
reuse a name someone else made), so no other user can put anything in it. Removed only by
the process that created it (a forked child that runs pytest's end would otherwise take
the parent's directory away), and only by an rmtree that works through directory file
descriptors and never follows a symlink found inside; where the platform's shutil.rmtree
cannot do that, the directory is left in place and the caller is told why.
"""

import os
import shutil
import tempfile

PREFIX = "heapdiff-pytest-"


class PrivateDir:
    def __init__(self, path, owner_pid):
        self.path = path
        self.owner_pid = owner_pid


def create():
    """A new private directory under the temporary directory (TMPDIR), absolute, whatever
    the tests do to the working directory afterwards. OSError when it cannot be made."""
    return PrivateDir(os.path.abspath(tempfile.mkdtemp(prefix=PREFIX)), os.getpid())


def remove(private):
    """Remove `private` and what is in it, in the process that created it only. Returns
    None, or why the directory was left in place (one line)."""
    if os.getpid() != private.owner_pid:
        return None  # a forked child: the directory is its parent's
    if not shutil.rmtree.avoids_symlink_attacks:
        # A path-based walk could be sent elsewhere by a symlink swapped in mid-walk.
        return "%s left in place: this platform's shutil.rmtree can follow symlinks" % private.path
    try:
        shutil.rmtree(private.path)
    except FileNotFoundError:
        return None
    except OSError as e:
        return "%s not removed: %s" % (private.path, e.strerror or e)
    return None
