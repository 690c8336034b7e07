"""One repository per aggregate; the only code that writes SQL."""
