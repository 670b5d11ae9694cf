"""Root-only enforcement tests: generated firewall rules applied inside network namespaces
that the test creates (never the host's own rules). Skipped with a reason when not root or
when `ip netns` / `nft` are missing."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
