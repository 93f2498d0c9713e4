"""Single sign-on: each organisation signs its people in with its own identity provider.

An organisation's managers configure one OpenID Connect or SAML 2.0 provider
(:class:`~klantpeil.accounts.sso.models.OrganisationIdentityProvider`) and the
e-mail domains it speaks for. At login the domain of the e-mail address finds the
provider; django-allauth does the protocol work, with one allauth "app" per
organisation derived from these rows (adapter.py), never stored twice.
"""
