"""JupyterHub on one machine for the vAIst workbench: Google sign-in, a Unix account per user, each user's
server running the Voila app alone, the `vaist` service holding the data, idle servers culled.

    vaist-lab hub      (checks the settings and runs JupyterHub with this file; `jupyterhub -f` on it works too)

Every setting comes from the environment (vaist_lab/hub/deployment.py lists them); nobody may sign in
unless VAIST_HUB_ALLOWED_USERS or VAIST_HUB_HOSTED_DOMAINS says who. Runs as root: it creates the users'
accounts. For many machines, Zero to JupyterHub: deploy/README.md.
"""

import sys
from pathlib import Path

from vaist_lab.hub.accounts import AccountSpawner, GoogleAccountsAuthenticator
from vaist_lab.hub.deployment import HubSettings, check_host

c = get_config()  # noqa: F821 - JupyterHub's config loader provides it

check_host()  # root, the hub extra installed
settings = HubSettings.from_environment()  # HubConfigError: one line naming the variable
service_environment = settings.prepare_state()
state = settings.state_dir
bin_dir = Path(sys.executable).parent  # this environment's scripts: the users' servers run the same install
SERVICE = "vaist"
SERVICE_SCOPE = f"access:services!service={SERVICE}"
BIG_MESSAGE = 128 * 1024 * 1024  # an uploaded sound goes to the kernel in one websocket message (voila.json)

# -- the hub, its proxy, its files (all in the 0700 state folder) ---------------------------------------------
c.JupyterHub.bind_url = settings.bind_url
c.JupyterHub.public_url = settings.public_url
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{settings.internal_port}"
c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
c.ConfigurableHTTPProxy.command = [str(settings.proxy)]  # npm's, pinned: its PyPI port breaks names with an @
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{settings.proxy_api_port}"
c.ConfigurableHTTPProxy.pid_file = str(state / "proxy.pid")
c.JupyterHub.last_activity_interval = settings.activity_poll_seconds  # the proxy's traffic: what culling reads

# -- Google sign-in; the hub user is the Google email, the Unix account unix_name(email) -------------------------
c.JupyterHub.authenticator_class = GoogleAccountsAuthenticator
c.GoogleOAuthenticator.client_id = settings.client_id
c.GoogleOAuthenticator.client_secret = settings.client_secret
c.GoogleOAuthenticator.oauth_callback_url = settings.callback_url
c.GoogleOAuthenticator.allowed_users = set(settings.allowed_users)
c.GoogleOAuthenticator.admin_users = set(settings.admins)
c.GoogleOAuthenticator.hosted_domain = list(settings.hosted_domains)
c.GoogleOAuthenticator.allow_all = not settings.allowed_users  # then only the hosted domains' accounts
c.GoogleOAuthenticator.strip_domain = False  # the name stays the email: it is the Lab user
c.GoogleOAuthenticator.allow_existing_users = False  # the environment says who, not who signed in before
if settings.endpoints is not None:  # a provider standing in for Google, on loopback
    c.GoogleOAuthenticator.authorize_url = settings.endpoints.authorize_url
    c.GoogleOAuthenticator.token_url = settings.endpoints.token_url
    c.GoogleOAuthenticator.userdata_url = settings.endpoints.userinfo_url
c.LocalAuthenticator.create_system_users = True
c.LocalAuthenticator.add_user_cmd = ["adduser", "--quiet", "--gecos", "vaist hub user", "--disabled-password"]

# -- each user's server: the Voila app alone behind jupyter-server-proxy's standalone proxy ----------------------
# The proxy answers the hub's OAuth (only the server's owner gets through) and starts Voila on the first visit.
# Voila as its own server starts kernels that take no execute_request and serves no /lab, no /api/kernels
# list, no files; the app's kernel calls the vaist service with the user's JUPYTERHUB_API_TOKEN.
c.JupyterHub.spawner_class = AccountSpawner
c.Spawner.cmd = [
    str(bin_dir / "jupyter-standaloneproxy"),
    "--absolute-url",  # Voila sees the whole path and serves under the user's prefix
    "--timeout=120",  # Voila's start on a busy machine (it imports the notebook stack)
    "--activity-interval=0",  # the proxy would report activity every interval whatever happens: culling reads traffic
    f"--websocket-max-message-size={BIG_MESSAGE}",
    "--",
    str(bin_dir / "vaist-lab"),
    "serve",
    "--no-browser",
    "--port={port}",
    "--base-url={base_url}/",
]
c.Spawner.environment = {"VAIST_SERVICE_URL": f"{settings.service_url}/services/{SERVICE}/"}
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 60
# No VAIST_ variable reaches a user's server (the default env_keep: PATH, PYTHONPATH, LANG, ...): the database
# URL, the secret and the storage's credentials stay with the service.

# -- the vaist service (the data, the builds) and the idle culler ------------------------------------------------
c.JupyterHub.services = [
    {
        "name": SERVICE,
        "url": settings.service_url,
        "command": [sys.executable, "-m", "vaist_lab.hub.service"],
        "environment": service_environment,
        "display": False,
    },
    {
        "name": "idle-culler",
        "command": [
            sys.executable,
            "-m",
            "jupyterhub_idle_culler",
            f"--timeout={settings.cull_idle_seconds}",
            f"--cull-every={settings.activity_poll_seconds}",
        ],
    },
]
c.JupyterHub.load_roles = [
    {
        "name": "idle-culler",
        "description": "stops servers idle for VAIST_HUB_CULL_IDLE_SECONDS",
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
        "services": ["idle-culler"],
    }
]
c.JupyterHub.extra_user_scopes = [SERVICE_SCOPE]  # users' tokens may call the service...
c.Spawner.server_token_scopes = ["access:servers!server", "users:activity!user", SERVICE_SCOPE]  # ...their kernels too
