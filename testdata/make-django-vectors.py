"""Writes django-vectors.tsv: password hashes as Django's hashers write them, for migration tests.

Needs Python 3 and the django, argon2-cffi and bcrypt packages (pip install django argon2-cffi
bcrypt). Salts are random, so a new run writes different but equally valid lines.
"""
import django
from django.conf import settings

settings.configure()
django.setup()

from django.contrib.auth.hashers import Argon2PasswordHasher, BCryptSHA256PasswordHasher  # noqa: E402


class CheaperArgon2(Argon2PasswordHasher):
    """OWASP's parameters instead of Django's (m = 100 MiB, t = 2, p = 8)."""

    time_cost = 2
    memory_cost = 19456
    parallelism = 1


class CheaperBCryptSHA256(BCryptSHA256PasswordHasher):
    rounds = 6


lines = [
    "# Django's argon2$ and bcrypt_sha256$ hashes for migration tests. Each line: password <TAB> hash.",
    "# Made by make-django-vectors.py in this folder with Django " + django.__version__ + ".",
    "# argon2$ wraps a PHC argon2 string; bcrypt_sha256$ is bcrypt over the hex SHA-256 of the password.",
]
for password, hasher in [
    ("correct horse battery staple", Argon2PasswordHasher()),
    ("hunter42", CheaperArgon2()),
    ("pässwörd", CheaperArgon2()),
    ("correct horse battery staple", CheaperBCryptSHA256()),
    # Longer than bcrypt's 72 bytes: the SHA-256 first is why Django wraps it.
    ("a passphrase well over seventy-two bytes long, which plain bcrypt would cut short", CheaperBCryptSHA256()),
    ("pässwörd", CheaperBCryptSHA256()),
]:
    lines.append(f"{password}\t{hasher.encode(password, hasher.salt())}")

with open("django-vectors.tsv", "w", encoding="utf-8") as out:
    out.write("\n".join(lines) + "\n")
