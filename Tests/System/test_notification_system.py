import re
import time
import uuid
from urllib.parse import urlparse, parse_qs

from conftest import request


def wait_for_email(standins, to, subject_part, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        box = request("GET", standins.url + "/mailbox/messages.json").json()
        for mail in box["emails"]:
            if to in mail["to"] and subject_part in mail["subject"]:
                return mail
        time.sleep(0.2)
    raise AssertionError(f"no email to {to} about {subject_part!r}: {box['emails'][-3:]}")


def test_registration_email_reaches_the_dev_mailbox_and_its_link_verifies(auth, notification, standins):
    email = f"mailbox.{uuid.uuid4().hex[:8]}@example.ph"
    r = request("POST", auth.url + "/v1/auth/register",
                {"email": email, "password": "Sinigang-sa-Miso-5", "fullName": "Liza Soberano", "userType": "consumer"})
    assert r.status == 201, r.body

    # auth outbox -> relay -> bull:notification -> notification worker -> SendGrid stand-in
    mail = wait_for_email(standins, email, "Confirm your email")
    link = re.search(r"https?://\S+verify-email\?token=[A-Za-z0-9_-]+", mail["text"]).group(0)
    token = parse_qs(urlparse(link).query)["token"][0]
    assert link in mail["html"]
    page = request("GET", standins.url + "/mailbox")
    assert page.status == 200 and email.encode() in page.body

    assert request("POST", auth.url + "/v1/auth/verify-email", {"token": token}).status == 200
    data = request("POST", auth.url + "/v1/auth/login", {"email": email, "password": "Sinigang-sa-Miso-5"}).json()["data"]
    assert data["user"]["emailVerified"] is True

    # user.registered also reached the notification service: a welcome mail and an inbox entry.
    wait_for_email(standins, email, "Welcome to TrustTrade")
    bearer = {"Authorization": "Bearer " + data["accessToken"]}
    deadline = time.time() + 15
    while True:
        inbox = request("GET", notification.url + "/v1/notifications", headers=bearer)
        assert inbox.status == 200, inbox.body
        if inbox.json()["pagination"]["total"] >= 1 or time.time() > deadline:
            break
        time.sleep(0.2)
    items = inbox.json()["data"]
    assert [i["type"] for i in items] == ["welcome"]
    assert items[0]["read"] is False
