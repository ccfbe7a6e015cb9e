"""Run in the image's build: every package installed in the virtualenv is at
the version requirements.lock pins (a runtime dependency missing from the
lock would otherwise be installed at whatever version is newest)."""

import importlib.metadata
import re
import sys


def normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


pinned = {}
for line in open(sys.argv[1] if len(sys.argv) > 1 else "requirements.lock"):
    match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)", line)
    if match:
        pinned[normal(match[1])] = match[2]
tools = {"pip", "setuptools", "wheel"}
unpinned = sorted(f"{d.metadata['Name']}=={d.version}" for d in importlib.metadata.distributions()
                  if normal(d.metadata["Name"]) not in tools and pinned.get(normal(d.metadata["Name"])) != d.version)
if unpinned:
    sys.exit(f"Installed but not as requirements.lock pins them: {', '.join(unpinned)} (run `make lock`).")
print(f"{len(pinned)} pins in requirements.lock; every installed package matches its pin.")
