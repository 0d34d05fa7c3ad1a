"""Policy rules: defaults in code, overrides from a file, the generated sample kept current."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from artifacts.config import ConfigError
from artifacts.engine.context import RequestContext
from artifacts.engine.policy import Policy, Target, rule_names
from artifacts.errors import PolicyDenied, Unauthenticated

SAMPLE = Path(__file__).parents[3] / "etc" / "policy.yaml"

OWNER = RequestContext(project_id="p1", roles=frozenset({"member"}))
STRANGER = RequestContext(project_id="p2", roles=frozenset({"member"}))
ADMIN = RequestContext(project_id="p9", roles=frozenset({"admin"}))
ANONYMOUS = RequestContext()


@pytest.mark.parametrize(
    ("rule", "allowed"),
    [
        ("artifact:create", {"owner", "stranger", "admin"}),
        ("artifact:show", {"owner", "stranger", "admin", "anonymous"}),
        ("artifact:update", {"owner", "admin"}),
        ("artifact:share", {"owner", "admin"}),
        ("artifact:publicize", {"admin"}),
        ("artifact:deactivate", {"admin"}),
        ("artifact:download", {"owner", "stranger", "admin", "anonymous"}),
        ("member:add", {"owner", "admin"}),
        ("member:update", {"stranger", "admin"}),  # the target member is p2
        ("member:list", {"owner", "stranger", "admin"}),
    ],
)
def test_default_rules(rule: str, allowed: set[str]) -> None:
    policy = Policy()
    target = Target(owner="p1", member_id="p2")
    callers = {"owner": OWNER, "stranger": STRANGER, "admin": ADMIN, "anonymous": ANONYMOUS}

    actual = {name for name, ctx in callers.items() if policy.allows(ctx, rule, target)}

    assert actual == allowed


def test_a_policy_file_overrides_a_default(tmp_path: Path) -> None:
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text('"artifact:publicize": "rule:admin_or_owner"\n')
    policy = Policy(policy_file)

    policy.enforce(OWNER, "artifact:publicize", Target(owner="p1"))
    # The refusal names the rule in force, not the default's "only an administrator".
    with pytest.raises(PolicyDenied) as refused:
        policy.enforce(STRANGER, "artifact:publicize", Target(owner="p1"))
    assert refused.value.message == (
        "This deployment's policy rule 'artifact:publicize' does not allow this caller to make "
        "an artifact public, or withdraw a public one."
    )
    # Rules the file leaves alone keep their defaults, and their messages.
    assert not policy.allows(OWNER, "artifact:deactivate", Target(owner="p1"))
    with pytest.raises(PolicyDenied, match="Only an administrator may deactivate"):
        policy.enforce(OWNER, "artifact:deactivate", Target(owner="p1"))


def test_anonymous_callers_are_asked_to_authenticate() -> None:
    with pytest.raises(Unauthenticated, match="Authentication required"):
        Policy().enforce(ANONYMOUS, "artifact:create")


def test_an_unknown_rule_is_a_programming_error() -> None:
    with pytest.raises(KeyError):
        Policy().allows(OWNER, "artifact:teleport")


def test_a_missing_policy_file_stops_start_up(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        Policy(tmp_path / "nope.yaml")


def test_an_unparsable_policy_file_stops_start_up(tmp_path: Path) -> None:
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text('"artifact:create": "role:admin or or"\n: [\n')

    with pytest.raises(ConfigError, match="is invalid"):
        Policy(policy_file)


def test_the_sample_policy_file_is_current_and_loads() -> None:
    generator = Path(sys.executable).with_name("oslopolicy-sample-generator")
    generated = subprocess.run(
        [str(generator), "--namespace", "artifacts"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout

    assert generated.strip() == SAMPLE.read_text().strip(), (
        "regenerate: oslopolicy-sample-generator --namespace artifacts "
        "--output-file etc/policy.yaml"
    )
    assert not Policy(SAMPLE).allows(OWNER, "artifact:publicize", Target(owner="p1"))
    for name in rule_names():
        assert f'"{name}"' in generated


def test_a_policy_file_may_use_oslo_policys_http_check(tmp_path: Path) -> None:
    """The check plugins load when a rule names one (not at start), and then work as before."""
    import http.server
    import threading

    asked = []

    class Answer(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            asked.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(200)
            self.send_header("Content-Length", "4")
            self.end_headers()
            self.wfile.write(b"True")

        def log_message(self, *args: object) -> None:
            return None

    server = http.server.HTTPServer(("127.0.0.1", 0), Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        policy_file = tmp_path / "policy.yaml"
        url = f"http://127.0.0.1:{server.server_port}/check"
        policy_file.write_text(f'"artifact:publicize": "{url}"\n')
        policy = Policy(policy_file)
        assert policy.allows(STRANGER, "artifact:publicize", Target(owner="p1"))
        assert policy.allows(STRANGER, "artifact:publicize", Target(owner="p1"))
        # An external check is asked every time (decisions of the built-in checks are kept).
        assert len(asked) == 2
    finally:
        server.shutdown()
        server.server_close()
