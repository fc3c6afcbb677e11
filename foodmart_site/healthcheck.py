"""The container's health check: GET /healthz on this machine's server.

python -m foodmart_site.healthcheck   (exit 0 healthy, 1 not)

It asks as the first of ALLOWED_HOSTS (Django refuses other host names)
on PORT (default 8000); /healthz answers plain HTTP even when every other
page redirects to HTTPS. Standard library only: no Django start-up."""

import http.client
import os
import sys


def check(port: int, host: str, timeout: float = 5) -> tuple[bool, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", "/healthz", headers={"Host": host})
        response = connection.getresponse()
        body = response.read().decode(errors="replace")
    except OSError as error:
        return False, str(error)
    finally:
        connection.close()
    return response.status == 200, f"{response.status} {body}"


def main() -> int:
    hosts = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
    host = (hosts[0] if hosts and hosts[0] != "*" else "localhost").lstrip(".")
    healthy, detail = check(int(os.environ.get("PORT") or 8000), host)
    print(detail)
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
