"""Run in the image's build: every package installed in the virtualenv is at
the version requirements.lock pins (a runtime dependency missing from the
lock would otherwise be installed at whatever version is newest).

A package the lock does not pin is allowed only when the packages that need it
ask for it under an environment marker (redis wants async-timeout only before
Python 3.11.3, so a lock made on a later 3.11 leaves it out); it is reported."""

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

installed = {normal(d.metadata["Name"]): d for d in importlib.metadata.distributions()}
markers: dict[str, list[str]] = {}  # package -> the markers under which others require it
plain: set[str] = set()  # packages some installed package requires without a marker
for dist in installed.values():
    for requirement in dist.requires or []:
        name = normal(re.split(r"[\s<>=!~;\[(]", requirement, maxsplit=1)[0])
        condition = requirement.partition(";")[2].strip()
        if condition and "extra ==" not in condition:
            markers.setdefault(name, []).append(condition)
        elif not condition:
            plain.add(name)

problems, notes = [], []
for name, dist in sorted(installed.items()):
    if name in {"pip", "setuptools", "wheel"}:
        continue
    if name in pinned:
        if pinned[name] != dist.version:
            problems.append(f"{dist.metadata['Name']} {dist.version} (the lock pins {pinned[name]})")
    elif name in markers and name not in plain:
        notes.append(f"{dist.metadata['Name']} {dist.version}, needed here only where {markers[name][0]}")
    else:
        problems.append(f"{dist.metadata['Name']} {dist.version} (not in the lock)")
for note in notes:
    print(f"Not pinned by requirements.lock, wanted only under a marker: {note}")
if problems:
    sys.exit(f"Installed but not as requirements.lock pins them: {'; '.join(problems)}. Run `make lock`.")
print(f"Every installed package is at its requirements.lock pin ({len(pinned)} pins).")
