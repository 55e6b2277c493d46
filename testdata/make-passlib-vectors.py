"""Writes passlib-vectors.tsv: PBKDF2 hashes as passlib writes them, for migration tests.

Needs Python 3 and the passlib package (pip install passlib). Salts are random, so a new run
writes different but equally valid lines.
"""
import passlib
from passlib.hash import pbkdf2_sha1, pbkdf2_sha256, pbkdf2_sha512

lines = [
    "# passlib's PBKDF2 hashes for migration tests. Each line: password <TAB> stored hash.",
    "# Made by make-passlib-vectors.py in this folder with passlib " + passlib.__version__ + ":",
    "# $pbkdf2[-sha256|-sha512]$ROUNDS$SALT$HASH, salt and hash in passlib's adapted base64.",
]
for handler in (pbkdf2_sha256, pbkdf2_sha512, pbkdf2_sha1):
    # passlib's default rounds, then a cheaper setting with a longer salt.
    for password, settings in [
        ("correct horse battery staple", {}),
        ("hunter42", {"rounds": 1000, "salt_size": 24}),
        ("pässwörd", {"rounds": 2000}),
    ]:
        lines.append(f"{password}\t{handler.using(**settings).hash(password)}")

with open("passlib-vectors.tsv", "w", encoding="utf-8") as out:
    out.write("\n".join(lines) + "\n")
