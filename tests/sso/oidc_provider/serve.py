"""Start the test OpenID provider: migrate its own database, create its users and
Klantpeil's client registration, then serve on loopback until killed.

Environment: OP_PORT, OP_DB, OP_KEY, OP_OTHER_KEY, OP_ISSUER, OP_MODE_FILE,
OP_CLIENT_ID, OP_CLIENT_SECRET, OP_REDIRECT_URIS (space separated),
OP_USERS (JSON list of {username, password, email, first_name, last_name})."""

import json
import os

import django

os.environ["DJANGO_SETTINGS_MODULE"] = "tests.sso.oidc_provider.settings"
django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from oauth2_provider.models import Application  # noqa: E402
from waitress import serve  # noqa: E402


def main() -> None:
    call_command("migrate", verbosity=0)
    for spec in json.loads(os.environ["OP_USERS"]):
        User.objects.create_user(**spec)
    Application.objects.create(
        name="Klantpeil",
        client_id=os.environ["OP_CLIENT_ID"],
        client_secret=os.environ["OP_CLIENT_SECRET"],
        hash_client_secret=True,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=os.environ["OP_REDIRECT_URIS"],
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,
    )
    print("ready", flush=True)
    serve(get_wsgi_application(), host="127.0.0.1", port=int(os.environ["OP_PORT"]), threads=4)


if __name__ == "__main__":
    main()
