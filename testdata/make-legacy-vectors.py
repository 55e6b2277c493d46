"""Writes legacy-vectors.tsv: password hashes in the formats acctsec-hash migrates from.

Needs Python 3 (hashlib's pbkdf2_hmac and scrypt) and the bcrypt package (pip install bcrypt).
Salts of bcrypt hashes are random, so a new run writes different but equally valid lines.
"""
import base64
import hashlib

import bcrypt


def b64(raw):
    return base64.b64encode(raw).decode().rstrip("=")


lines = [
    "# Legacy password hashes for migration tests. Each line: password <TAB> stored hash.",
    "# Made by make-legacy-vectors.py in this folder with Python's hashlib and the bcrypt package "
    + bcrypt.__version__ + ".",
    "# Django's format is pbkdf2_sha256$ITERATIONS$SALT$base64(dk) with padding; PHC strings use",
    "# standard base64 without padding.",
]
for pw, salt, it in [
    ("hunter42", "seasalt123456789abcdef", 1000),
    ("correct horse battery staple", "4f9aQz7LmNq2Rs8tUv1wXy", 20000),
    ("pässwörd", "UniCodeSalt0123456789a", 870000),
]:
    dk = hashlib.pbkdf2_hmac("sha256", pw.encode(), salt.encode(), it)
    lines.append(f"{pw}\tpbkdf2_sha256${it}${salt}${base64.b64encode(dk).decode()}")
for pw, salt, it in [("hunter42", b"phc-pbkdf2-salt!", 10000)]:
    dk = hashlib.pbkdf2_hmac("sha256", pw.encode(), salt, it, 32)
    lines.append(f"{pw}\t$pbkdf2-sha256$i={it},l=32${b64(salt)}${b64(dk)}")
for pw, salt, ln, r, p in [
    ("hunter42", b"scrypt-salt-16by", 14, 8, 1),
    ("correct horse battery staple", b"another-salt-xyz", 12, 8, 2),
]:
    dk = hashlib.scrypt(pw.encode(), salt=salt, n=2**ln, r=r, p=p, dklen=32, maxmem=2**30)
    lines.append(f"{pw}\t$scrypt$ln={ln},r={r},p={p}${b64(salt)}${b64(dk)}")
for pw, rounds, prefix in [
    ("hunter42", 10, b"2b"),
    ("correct horse battery staple", 8, b"2a"),
    ("pässwörd", 6, b"2b"),
]:
    lines.append(f"{pw}\t{bcrypt.hashpw(pw.encode(), bcrypt.gensalt(rounds, prefix)).decode()}")
# PHP writes $2y$ for the same algorithm as $2b$.
php = bcrypt.hashpw(b"php-password", bcrypt.gensalt(6)).decode().replace("$2b$", "$2y$", 1)
lines.append(f"php-password\t{php}")
# A password of exactly 72 bytes, and the first 72 bytes of an 80-byte password as a system that
# truncated silently would have stored it.
p72 = "x" * 72
lines.append(f"{p72}\t{bcrypt.hashpw(p72.encode(), bcrypt.gensalt(6)).decode()}")
p80 = "y" * 72 + "TAILTAIL"
lines.append(f"{p80}\t{bcrypt.hashpw(p80.encode()[:72], bcrypt.gensalt(6)).decode()}")

with open("legacy-vectors.tsv", "w", encoding="utf-8") as out:
    out.write("\n".join(lines) + "\n")
