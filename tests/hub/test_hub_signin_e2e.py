"""The hub as deployed (deploy/jupyterhub_config.py, started by `vaist-lab hub`), end to end: the real JupyterHub
with the real GoogleOAuthenticator, pointed at a local OpenID provider that answers as Google does
(vaist_lab.hub.dev_provider: oidc-provider-mock on loopback), the pinned configurable-http-proxy, per-user Unix
accounts, each user's server the Voila app alone behind jupyter-server-proxy's standalone proxy, the vaist service
and the idle culler. Headless Chromium signs in as Google users:

- alice and bob each reach their workbench, create a project, build it and download it, and neither can list,
  open, build nor download the other's: not through the app (their dashboards, the other's server URL) and not
  through the service's API with a token of their own from the hub's token page;
- an anonymous visitor is sent to sign in; a Google account nobody allowed, and an allowed one whose email
  Google has not verified, get refusal pages (and no Unix account);
- the app's kernel takes no execute_request, and /lab, /api/kernels and the notebook's files are refused;
- a user's process cannot read the service's database, secret or environment, nor the hub's files;
- alice's server culled in the middle of her build finds the build finished when she comes back.

Builds use the scripted builder (tests/service/scripted_builder.py through the service's
VAIST_BUILD_WORKER_BUILDER, paced and held at will by hub_builders.paced): seconds instead of minutes per plugin;
the real builder is covered by tests/build and the browser tests. The culling is done by jupyterhub-idle-culler
itself, run by the test at the moment alice has left, with a token (made by the hub's admin) that reaches her
server only: the deployed culler's hour-long timeout would not fit in a test, and a short one would cull servers
while Voila starts on a loaded machine.

Needs root (the hub creates Unix accounts; they are deleted afterwards), Chromium and the pinned proxy; skipped
with the reason otherwise. One hub for the module: 3.6 minutes on two cores at a load average of 10, 6 minutes
at 14; most of it is Voila's first start in a user's server (three: alice, bob, alice after the cull).
Screenshots: test-artifacts/screenshots/test_*/.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import queue
import re
import secrets
import shutil
import signal
import stat
import subprocess
import sys
import threading
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx2
import psutil
import pytest
from hub_harness import ALICE, BOB, HOLD_VARIABLE, free_port, wait_for

from vaist_lab.hub.accounts import unix_name
from vaist_lab.hub.client import HubLab
from vaist_lab.hub.deployment import DEFAULT_PROXY, SECRET_FILE
from vaist_lab.hub.dev_provider import DevProvider, google_claims
from vaist_lab.service.errors import ProjectNotFound
from vaist_lab.status import ProjectStatus

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "browser"))
from browser_harness import (
    Screenshots,
    back_to_dashboard,
    button,
    chromium_missing,
    create_project,
    launch_chromium,
    open_tab,
)
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect

HERE = Path(__file__).resolve().parent
SERVICE_TESTS = HERE.parent / "service"
ADA = "ada@example.com"  # the hub's admin
EVE = "eve@example.com"  # allowed, but Google has not verified her email
MALLORY = "mallory@example.com"  # a Google account nobody allowed
HUB_ACCOUNTS = (ALICE, BOB, ADA, EVE)  # the hub creates their Unix accounts at its start
START_TIMEOUT = 180.0  # the hub, the proxy, the service and the culler start together on a busy machine
APP_TIMEOUT = 240.0  # a server's first visit: spawn, OAuth with the hub, Voila's start, the workbench's imports
BUILD_TIMEOUT = 120.0  # the scripted builder's paced log, in a worker process of the service's
REFUSED = re.compile(r"^(403|404)$")
SECRET_NAMES = ("VAIST_SECRET_KEY", "VAIST_DATABASE_URL", "OAUTH_CLIENT_SECRET", "VAIST_DATA_DIR")


def skip_reason() -> str:
    if os.geteuid() != 0:
        return "the hub creates a Unix account per user: run as root (CI does)"
    if not DEFAULT_PROXY.exists():
        return f"no {DEFAULT_PROXY}: run `npm ci --prefix deploy` (.ci/install does)"
    if reason := chromium_missing():
        return reason
    if private_folders() and shutil.which("setfacl") is None:
        return f"this Python lives under {private_folders()[0]}, which users cannot enter: install acl (setfacl)"
    return ""


def private_folders() -> list[Path]:
    """The folders above this Python and the repository that other accounts cannot enter (pyenv under /root)."""
    folders = {*Path(sys.executable).resolve().parents, *HERE.parents}
    return sorted(folder for folder in folders if not folder.stat().st_mode & stat.S_IXOTH)


@dataclass
class GoogleHub:
    """`vaist-lab hub` at `url`, signing in through `provider`; its files in `folder`."""

    url: str
    process: subprocess.Popen[str]
    folder: Path
    provider: DevProvider
    log: Path

    @property
    def state(self) -> Path:
        return self.folder / "state"

    @property
    def service_data(self) -> Path:
        return self.folder / "service-data"

    @property
    def hold(self) -> Path:
        return self.folder / "hold-builds"

    @property
    def service_url(self) -> str:
        return f"{self.url}services/vaist/"

    def logs(self, characters: int = 8000) -> str:
        return self.log.read_text(errors="replace")[-characters:]

    def service_process(self) -> psutil.Process:
        hub = psutil.Process(self.process.pid)
        return next(child for child in hub.children(recursive=True) if "vaist_lab.hub.service" in child.cmdline())

    def api(self, token: str) -> httpx2.Client:
        return httpx2.Client(base_url=f"{self.url}hub/api/", headers={"Authorization": f"token {token}"}, timeout=30)


def processes_of(email: str) -> list[psutil.Process]:
    """What runs as the Unix account of `email`."""
    uid = pwd.getpwnam(unix_name(email)).pw_uid
    return [
        process
        for process in psutil.process_iter(["uids"])
        if process.info["uids"] and process.info["uids"].real == uid
    ]


def remove_account(email: str) -> None:
    """Delete the Unix account of `email` (home included) and end what still runs as it (the hub's servers)."""
    try:
        leftovers = processes_of(email)
    except KeyError:
        return
    for process in leftovers:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()
    subprocess.run(["userdel", "--remove", unix_name(email)], capture_output=True, check=False)


def let_enter(folders: list[Path], emails: tuple[str, ...], allow: bool) -> None:
    """Let the accounts enter (never list) the folders above this Python: what installing vaist-lab for all
    users would give them; taken back afterwards."""
    for folder in folders:
        for email in emails:
            entry = f"u:{unix_name(email)}"
            arguments = ["-m", f"{entry}:x"] if allow else ["-x", entry]
            subprocess.run(["setfacl", *arguments, str(folder)], capture_output=True, check=allow)


@pytest.fixture(scope="module")
def google_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GoogleHub]:
    if reason := skip_reason():
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("google-hub")
    for email in (*HUB_ACCOUNTS, MALLORY):  # a run that died may have left them
        remove_account(email)
    provider = DevProvider.start(log=folder / "provider.log")
    for email in (ALICE, BOB, ADA, MALLORY):
        provider.add(google_claims(email))
    provider.add(google_claims(EVE, verified=False))
    port = free_port()
    environment = {
        **{key: value for key, value in os.environ.items() if not key.startswith(("VAIST_", "JUPYTERHUB_", "OAUTH_"))},
        **provider.endpoints(),
        "OAUTH_CLIENT_ID": "vaist-e2e",
        "OAUTH_CLIENT_SECRET": secrets.token_urlsafe(16),
        "OAUTH_CALLBACK_URL": f"http://127.0.0.1:{port}/hub/oauth_callback",
        "VAIST_HUB_ALLOWED_USERS": f"{ALICE}, {BOB}, {EVE}",
        "VAIST_HUB_ADMINS": ADA,
        "VAIST_HUB_STATE_DIR": str(folder / "state"),
        "VAIST_HUB_INTERNAL_PORT": str(free_port()),
        "VAIST_HUB_PROXY_API_PORT": str(free_port()),
        "VAIST_HUB_SERVICE_PORT": str(free_port()),
        # the service's settings
        "VAIST_DATA_DIR": str(folder / "service-data"),
        "VAIST_CACHE_DIR": str(folder / "service-cache"),
        "VAIST_BUILD_WORKER_BUILDER": "hub_builders:paced",
        "VAIST_VERIFY_BUILDS": "0",  # the scripted plugin is no plugin
        "VAIST_PLANNER_MODEL": "offline",
        HOLD_VARIABLE: str(folder / "hold-builds"),
        "PYTHONPATH": os.pathsep.join([str(HERE), str(SERVICE_TESTS)]),  # the build workers' scripted builder
    }
    log = folder / "hub.log"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "vaist_lab", "hub", "--no-browser"],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            env=environment,
            cwd=folder,
        )
    hub = GoogleHub(f"http://127.0.0.1:{port}/", process, folder, provider, log)
    folders = private_folders()
    try:
        printed: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: printed.put(process.stdout.readline()), daemon=True).start()  # type: ignore[union-attr]
        try:
            url = printed.get(timeout=START_TIMEOUT).strip()
        except queue.Empty:
            url = ""
        assert url == hub.url, f"vaist-lab hub printed {url!r}, not its URL\n{hub.logs()}"
        let_enter(folders, HUB_ACCOUNTS, allow=True)
        yield hub
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)  # the hub stops the users' servers and its services
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
        provider.stop()
        let_enter(folders, HUB_ACCOUNTS, allow=False)
        for email in (*HUB_ACCOUNTS, MALLORY):
            remove_account(email)


@pytest.fixture(scope="module")
def browser(google_hub: GoogleHub, playwright: Playwright) -> Iterator[Browser]:
    chromium = launch_chromium(playwright)
    yield chromium
    chromium.close()


def new_context(browser: Browser) -> BrowserContext:
    return browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 1000})


def sign_in(context: BrowserContext, hub: GoogleHub, email: str, next_path: str = "/hub/") -> Page:
    """Through the hub's login page and the provider's (standing in for Google's account chooser)."""
    page = context.new_page()
    page.goto(f"{hub.url}hub/login?next={quote(next_path)}")
    page.get_by_role("button", name="Sign in with Google").click()
    page.wait_for_url(f"{hub.provider.url}**")
    page.fill("input[name=sub]", email)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(lambda url: not url.startswith(hub.provider.url))
    return page


def open_app(page: Page, hub: GoogleHub, email: str) -> None:
    """The user's workbench: /hub/spawn starts their server if it is not running, then sends them to it."""
    page.goto(f"{hub.url}hub/spawn", wait_until="commit", timeout=APP_TIMEOUT * 1000)
    page.wait_for_url(f"{hub.url}user/{email}/", timeout=APP_TIMEOUT * 1000)
    page.locator(".vaist-workbench .vaist-dashboard").wait_for(state="visible", timeout=APP_TIMEOUT * 1000)


@dataclass
class People:
    """Signed-in users, each with their workbench open in a page kept from test to test (a page opened anew
    takes a new kernel: seconds each on a busy machine)."""

    hub: GoogleHub
    contexts: dict[str, BrowserContext]
    pages: dict[str, Page]

    def app(self, email: str) -> Page:
        """`email`'s workbench on its dashboard, opened again if a test closed it (their server started again)."""
        page = self.pages[email]
        if page.is_closed():
            page = self.pages[email] = self.contexts[email].new_page()
            open_app(page, self.hub, email)
        elif page.locator(".vaist-back").is_visible():
            back_to_dashboard(page)
        return page

    def other_page(self, email: str) -> Page:
        """A page of `email`'s browser for the hub's pages and forbidden places, leaving the workbench alone."""
        return self.contexts[email].new_page()

    def token(self, email: str) -> str:
        page = self.other_page(email)
        token = request_token(page, self.hub)
        page.close()
        return token


@pytest.fixture(scope="module")
def people(google_hub: GoogleHub, browser: Browser) -> Iterator[People]:
    """alice and bob signed in, their servers started (both at once: Voila's first start is the slow part)."""
    contexts = {email: new_context(browser) for email in (ALICE, BOB)}
    pages = {email: sign_in(context, google_hub, email) for email, context in contexts.items()}
    for email, page in pages.items():
        open_app(page, google_hub, email)
    yield People(google_hub, contexts, pages)
    for context in contexts.values():
        context.close()


@pytest.fixture(scope="module")
def admin_token(google_hub: GoogleHub, browser: Browser) -> Iterator[str]:
    """ada, the hub's admin, signed in (straight to the admin page: no server of hers), and her API token."""
    context = new_context(browser)
    page = sign_in(context, google_hub, ADA, "/hub/admin")
    yield request_token(page, google_hub)
    context.close()


def request_token(page: Page, hub: GoogleHub) -> str:
    """A new API token of the signed-in user's, from the hub's token page, as a user gets one."""
    page.goto(f"{hub.url}hub/token")
    page.fill("#token-note", "vaist e2e")
    page.get_by_role("button", name="Request new API token").click()
    token = page.locator("#token-result")
    expect(token).not_to_be_empty()
    return token.inner_text().strip()


def status(page: Page) -> str:
    return page.inner_text(".vaist-status").strip().upper()


def build_and_download(page: Page, name: str, folder: Path) -> Path:
    """On the dashboard: a project from the tape-echo template, approved, built; the zip the app hands over."""
    create_project(page, name, template_label="TapeEcho")
    button(page, ".vaist-approve").click()
    expect(page.locator(".vaist-status")).to_have_text(re.compile("approved", re.IGNORECASE))
    open_tab(page, "Build")
    button(page, ".vaist-build-start").click()
    expect(page.locator(".vaist-status")).to_have_text(
        re.compile("success", re.IGNORECASE), timeout=BUILD_TIMEOUT * 1000
    )
    with page.expect_download(timeout=60_000) as download:
        button(page, ".vaist-download").click()
    archive = folder / download.value.suggested_filename
    download.value.save_as(archive)
    return archive


def assert_refused_everywhere(lab: HubLab, foreign: str) -> None:
    """Every way to read, build or download another user's project answers as for a project that does not
    exist (the same class and message, its id aside)."""
    missing = "00000000-0000-4000-8000-000000000000"
    calls: dict[str, Callable[[str], Any]] = {
        "project": lab.project,
        "open_project": lab.open_project,
        "start_build": lab.start_build,
        "build_report": lab.build_report,
        "download": lab.download,
        "download_link": lab.download_link,
        "follow_logs": lambda project_id: lab.follow_logs(project_id, wait=0),
    }
    for name, call in calls.items():
        answers = []
        for project_id in (foreign, missing):
            with pytest.raises(ProjectNotFound) as refusal:
                call(project_id)
            answers.append(str(refusal.value).replace(project_id, "<id>"))
        assert answers[0] == answers[1], name


def test_visitors_not_signed_in_or_not_allowed_are_refused(
    google_hub: GoogleHub, browser: Browser, request: pytest.FixtureRequest
) -> None:
    context = new_context(browser)
    page = context.new_page()
    shot = Screenshots.for_test(page, request.node.name)

    page.goto(f"{google_hub.url}user/{ALICE}/")  # someone's app, anonymously
    page.wait_for_url(re.compile(r"/hub/login\b"))
    expect(page.get_by_role("button", name="Sign in with Google")).to_be_visible()
    shot("anonymous visitor sent to sign in")
    anonymous = httpx2.post(f"{google_hub.service_url}api/list_projects", json={}, timeout=30)
    assert anonymous.status_code == 401, anonymous.text  # the service's API without a token

    shot.page = sign_in(context, google_hub, MALLORY)
    expect(shot.page.locator("body")).to_contain_text("403")
    expect(shot.page.locator("body")).to_contain_text(re.compile("not currently authorized", re.IGNORECASE))
    shot("a google account nobody allowed is refused")
    context.close()
    context = new_context(browser)
    shot.page = sign_in(context, google_hub, EVE)
    expect(shot.page.locator("body")).to_contain_text("403")
    expect(shot.page.locator("body")).to_contain_text(re.compile("unverified email", re.IGNORECASE))
    shot("an allowed account whose email google has not verified is refused")
    with pytest.raises(KeyError):
        pwd.getpwnam(unix_name(MALLORY))  # no Unix account for a refused visitor
    for email in (MALLORY, EVE):
        assert f"User logged in: {email}" not in google_hub.logs(10**7)
    context.close()


def test_each_user_builds_and_downloads_their_own_and_reaches_nothing_of_the_other(
    google_hub: GoogleHub, people: People, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    pages = {email: people.app(email) for email in (ALICE, BOB)}
    shot = Screenshots.for_test(pages[ALICE], request.node.name)
    names = {ALICE: "Alice Echo", BOB: "Bob Echo"}
    for email, page in pages.items():
        shot.page = page
        expect(page.locator(".vaist-workbench")).to_contain_text(email)  # the app knows who signed in
        archive = build_and_download(page, names[email], tmp_path / email)
        with zipfile.ZipFile(archive) as bundle:
            assert any(".vst3/" in name for name in bundle.namelist()), bundle.namelist()
        shot(f"{email} built and downloaded")
        back_to_dashboard(page)
    for email, page in pages.items():
        shot.page = page
        other = BOB if email == ALICE else ALICE
        expect(page.locator(".vaist-card", has_text=names[email])).to_have_count(1)
        expect(page.locator(".vaist-card", has_text=names[other])).to_have_count(0)
        shot(f"{email} sees their project, not the other's")

    shot.page = people.other_page(BOB)  # bob tries alice's app
    shot.page.goto(f"{google_hub.url}user/{ALICE}/")
    expect(shot.page.locator("body")).to_contain_text(re.compile(r"403.*permission to access", re.IGNORECASE))
    shot("bob is refused alice's server")
    shot.page.close()

    tokens = {email: people.token(email) for email in (ALICE, BOB)}
    labs = {email: HubLab(google_hub.service_url, token) for email, token in tokens.items()}
    try:
        own = {email: {view.name: view.id for view in lab.list_projects()} for email, lab in labs.items()}
        assert names[ALICE] in own[ALICE] and names[BOB] not in own[ALICE], own
        assert names[BOB] in own[BOB] and names[ALICE] not in own[BOB], own
        assert not set(own[ALICE].values()) & set(own[BOB].values()), own
        assert labs[ALICE].download(own[ALICE][names[ALICE]]).data  # one's own token reaches one's own project
        assert_refused_everywhere(labs[BOB], str(own[ALICE][names[ALICE]]))
        assert_refused_everywhere(labs[ALICE], str(own[BOB][names[BOB]]))
    finally:
        for lab in labs.values():
            lab.close()
    with google_hub.api(tokens[BOB]) as bobs:  # bob's token on alice's server
        assert bobs.get(f"{google_hub.url}user/{ALICE}/api/kernels").status_code == 403


def test_the_app_runs_no_code_and_serves_no_lab_nor_files(
    google_hub: GoogleHub, people: People, request: pytest.FixtureRequest
) -> None:
    page = people.app(ALICE)
    kernel = re.search(r'"kernelId":\s*"([0-9a-f-]{36})"', page.content())
    assert kernel, "the page names no kernel"
    home = Path(pwd.getpwnam(unix_name(ALICE)).pw_dir)
    marker = home / "code-ran"
    # A second connection to the app's own kernel, from alice's own signed-in page: a kernel_info_request (which
    # Voila lets through) and an execute_request that would leave a file in her home.
    answers = page.evaluate(
        """async ([url, code]) => {
            const socket = new WebSocket(url);
            const seen = [];
            socket.onmessage = (event) => {
                const message = JSON.parse(event.data);
                seen.push([message.msg_type, message.parent_header.msg_id || ""]);
            };
            await new Promise((resolve, reject) => { socket.onopen = resolve; socket.onerror = reject; });
            const send = (id, type, content) => socket.send(JSON.stringify({
                header: {msg_id: id, msg_type: type, username: "", session: "e2e", date: "", version: "5.3"},
                parent_header: {}, metadata: {}, content: content, channel: "shell", buffers: []}));
            send("execute-1", "execute_request", {code: code, silent: false, store_history: false,
                user_expressions: {}, allow_stdin: false, stop_on_error: true});
            send("info-1", "kernel_info_request", {});
            await new Promise((resolve) => setTimeout(resolve, 5000));
            socket.close();
            return seen;
        }""",
        [
            f"{google_hub.url.replace('http', 'ws', 1)}user/{ALICE}/api/kernels/{kernel[1]}/channels?session_id=e2e",
            f"open({str(marker)!r}, 'w').write('ran')",
        ],
    )
    assert ["kernel_info_reply", "info-1"] in answers, answers  # the channel works...
    assert not [answer for answer in answers if answer[1] == "execute-1"], answers  # ...and ignored the execution
    assert not marker.exists()
    assert 'Received message of type "execute_request", which is not allowed' in google_hub.logs(10**7)

    for path in ("lab", "api/kernels", "api/contents", "api/terminals", "tree", "voila/files/app.ipynb"):
        response = page.request.get(f"{google_hub.url}user/{ALICE}/{path}")
        assert REFUSED.match(str(response.status)), (path, response.status, response.text()[:200])
        assert "JupyterLab" not in response.text() and '"kernels"' not in response.text(), path
    lab = people.other_page(ALICE)
    lab.goto(f"{google_hub.url}user/{ALICE}/lab")
    Screenshots.for_test(lab, request.node.name)("lab is refused")
    lab.close()


def test_a_users_process_cannot_read_the_service_files(google_hub: GoogleHub, people: People, admin_token: str) -> None:
    people.app(ALICE)  # alice's server runs, with the kernel of her open workbench
    account = pwd.getpwnam(unix_name(ALICE))
    with google_hub.api(admin_token) as admin:
        server = admin.get(f"users/{quote(ALICE, safe='')}").json()["servers"][""]
    server_process = psutil.Process(server["state"]["pid"])
    processes = [server_process, *server_process.children(recursive=True)]  # the proxy, Voila, the kernels
    assert len(processes) >= 3 and any("ipykernel" in " ".join(p.cmdline()) for p in processes), processes
    service = google_hub.service_process()
    secret = service.environ()["VAIST_SECRET_KEY"]
    for process in processes:
        assert process.uids().real == account.pw_uid, process.cmdline()  # alice's account, not the hub's
        environment = process.environ()
        assert not [name for name in SECRET_NAMES if name in environment], process.cmdline()
        assert secret not in json.dumps(environment), process.cmdline()

    def read_as(email: str, path: Path | str) -> subprocess.CompletedProcess[str]:
        reader = pwd.getpwnam(unix_name(email))
        return subprocess.run(
            ["cat", str(path)],
            user=reader.pw_uid,
            group=reader.pw_gid,
            extra_groups=[],
            capture_output=True,
            text=True,
            check=False,
        )

    def refused(attempt: subprocess.CompletedProcess[str]) -> bool:
        return attempt.returncode != 0 and "Permission denied" in attempt.stderr

    own = Path(account.pw_dir) / ".local" / "share" / "jupyter" / "notebook_secret"  # Voila wrote it as alice
    assert read_as(ALICE, own).returncode == 0, read_as(ALICE, own).stderr
    assert refused(read_as(BOB, own))  # the users' homes are their own too
    databases = list(google_hub.service_data.glob("*.db")) + list(google_hub.service_data.glob("*.sqlite*"))
    assert databases, list(google_hub.service_data.iterdir())
    secret_file = google_hub.state / SECRET_FILE
    assert secret_file.read_text().strip() == secret
    forbidden = [
        *databases,
        secret_file,
        google_hub.state / "jupyterhub.sqlite",
        google_hub.state / "jupyterhub_cookie_secret",
        f"/proc/{service.pid}/environ",  # where the service holds its secret
    ]
    for path in forbidden:
        assert refused(read_as(ALICE, path)), path
    for folder in (google_hub.state, google_hub.service_data):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700 and folder.stat().st_uid == 0, folder
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600


def test_the_admin_page_shows_who_is_signed_in(
    google_hub: GoogleHub,
    people: People,
    admin_token: str,
    browser: Browser,
    request: pytest.FixtureRequest,
) -> None:
    context = new_context(browser)
    page = sign_in(context, google_hub, ADA, "/hub/admin")
    shot = Screenshots.for_test(page, request.node.name)
    for email in (ALICE, BOB):
        expect(page.locator("body")).to_contain_text(email, timeout=30_000)
    shot("the admin page lists the users")
    with google_hub.api(admin_token) as admin:
        users = {user["name"]: user for user in admin.get("users").json()}
    assert {ALICE, BOB, ADA, EVE} <= set(users) and MALLORY not in users
    assert users[ADA]["admin"] and not users[ALICE]["admin"]
    assert "200 GET /hub/api/users" in google_hub.logs(10**7) and "(idle-culler@" in google_hub.logs(10**7)
    context.close()


def test_a_build_finishes_while_its_users_server_is_culled(
    google_hub: GoogleHub,
    people: People,
    admin_token: str,
    request: pytest.FixtureRequest,
) -> None:
    lab = HubLab(google_hub.service_url, people.token(ALICE))
    page = people.app(ALICE)
    shot = Screenshots.for_test(page, request.node.name)
    google_hub.hold.touch()  # builds started now wait half way
    try:
        create_project(page, "Culled Echo", template_label="TapeEcho")
        button(page, ".vaist-approve").click()
        open_tab(page, "Build")
        button(page, ".vaist-build-start").click()
        expect(page.locator(".vaist-status")).to_have_text(re.compile("building", re.IGNORECASE), timeout=60_000)
        shot("build started, then alice leaves")
        project = next(view for view in lab.list_projects() if view.name == "Culled Echo")
        page.close()

        # jupyterhub-idle-culler with a token that reaches alice's server only (made by the admin), idle 1 s
        scopes = [f"{scope}!user={ALICE}" for scope in ("list:users", "read:users:activity", "read:servers")]
        with google_hub.api(admin_token) as admin:
            made = admin.post(
                f"users/{quote(ADA, safe='')}/tokens",
                json={"scopes": [*scopes, f"delete:servers!user={ALICE}"], "note": "cull alice"},
            )
            made.raise_for_status()
            culler = subprocess.Popen(
                [sys.executable, "-m", "jupyterhub_idle_culler", "--timeout=1", "--cull-every=1"],
                env={
                    **os.environ,
                    "JUPYTERHUB_API_TOKEN": made.json()["token"],
                    "JUPYTERHUB_API_URL": f"{google_hub.url}hub/api",
                },
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                server = f"users/{quote(ALICE, safe='')}"
                wait_for(lambda: not admin.get(server).json()["servers"], 90, "alice's server culled", google_hub.logs)
            finally:
                culler.terminate()
                culler.wait(10)
            assert admin.get(f"users/{quote(BOB, safe='')}").json()["servers"], "bob's server was culled too"
        wait_for(lambda: not processes_of(ALICE), 60, "Voila and its kernels to stop with alice's server")
        assert lab.project(project.id).status is ProjectStatus.BUILDING  # the build goes on without her server
    finally:
        google_hub.hold.unlink(missing_ok=True)
    wait_for(lambda: lab.project(project.id).status is ProjectStatus.SUCCESS, BUILD_TIMEOUT, "the build to finish")
    lab.close()

    shot.page = people.app(ALICE)  # alice comes back: her server starts again
    card = shot.page.locator(".vaist-card", has_text="Culled Echo")
    expect(card).to_contain_text(re.compile("success", re.IGNORECASE))
    shot("back after the cull, the build finished")
