"""The back office shows which accounts are linked to an organisation's provider
(allauth's SocialAccount), but not allauth's own app and token tables: apps come
from each organisation's sign-in settings and tokens are never stored, so rows
added there would do nothing."""

from allauth.socialaccount.models import SocialApp, SocialToken
from django.contrib import admin

for model in (SocialApp, SocialToken):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
