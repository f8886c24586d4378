"""The marketplace through the gateway, as the core issue's "done when" says:
a consumer finds "aircon cleaning" near Makati, books a pro, the pro accepts,
starts and finishes, the consumer confirms and reviews, and both hear of it."""
import base64
import json
import datetime
import random
import time
import urllib.error
import urllib.request
import uuid

import pytest

from conftest import Service, request
from test_gateway_system import client_ip, gateway_env


@pytest.fixture(scope="module")
def gateway(auth, notification, core, payment, ai, files, standins, redis_url, log_dir):
    env = gateway_env(redis_url, auth.url, {"auth": [auth.url], "notification": [notification.url], "core": [core.url],
                                            "payment": [payment.url], "ai": [ai.url], "file": [files.url]})
    gw = Service("gateway", env, log_dir).wait_healthy()
    # PayMongo's webhooks come in through the gateway (registered as with PayMongo's API).
    basic = "Basic " + base64.b64encode(b"sk_test_trusttrade_dev:").decode()
    r = request("POST", standins.url + "/paymongo/v1/webhooks",
                {"data": {"attributes": {"url": gw.url + "/v1/payments/webhook", "events": ["payment.paid", "payment.failed", "payment.refund.updated"]}}},
                headers={"Authorization": basic})
    assert r.status == 200, r.body
    yield gw.url
    assert gw.stop() == 0


def sign_up(gw, name, user_type):
    ip = {"X-Forwarded-For": client_ip()}
    email = f"mkt.{uuid.uuid4().hex[:10]}@example.ph"
    r = request("POST", gw + "/v1/auth/register",
                {"email": email, "password": "Adobo-sa-Gata-9", "fullName": name, "phone": "0917" + str(random.randint(1000000, 9999999)),
                 "userType": user_type}, headers=ip)
    assert r.status == 201, r.body
    r = request("POST", gw + "/v1/auth/login", {"email": email, "password": "Adobo-sa-Gata-9"}, headers=ip)
    assert r.status == 200, r.body
    data = r.json()["data"]
    return {"Authorization": "Bearer " + data["accessToken"], **ip}, data["user"]["id"]


def inbox_types(gw, who, want, timeout=20):
    deadline = time.time() + timeout
    while True:
        r = request("GET", gw + "/v1/notifications?limit=50", headers=who)
        assert r.status == 200, r.body
        types = {item["type"] for item in r.json()["data"]}
        if want <= types or time.time() > deadline:
            return types
        time.sleep(0.3)


def test_find_book_do_confirm_and_review_an_aircon_cleaning_in_makati(gateway, standins):
    gw = gateway
    consumer, consumer_id = sign_up(gw, "Liza Soberano", "consumer")
    pro, pro_id = sign_up(gw, "Ramon Reyes", "provider")

    # The pro lists his business in Aircon Cleaning, in Makati.
    tree = request("GET", gw + "/v1/categories", headers=consumer).json()["data"]
    aircon = next(c for root in tree for c in root["children"] if c["slug"] == "aircon-cleaning")
    r = request("POST", gw + "/v1/providers", {
        "categoryId": aircon["id"], "businessName": "Reyes Aircon Cleaning Makati",
        "description": "Split-type and window aircon cleaning, chemical wash.", "hourlyRate": 60000,
        "serviceAreas": ["Makati City", "Taguig City"], "skills": ["split-type", "chemical wash"],
        "latitude": 14.5560, "longitude": 121.0230}, headers=pro)
    assert r.status == 201, r.body
    provider_id = r.json()["data"]["id"]

    # The consumer searches near Makati and finds him, with the distance.
    r = request("GET", gw + "/v1/providers/search?q=aircon%20cleaning&location=Makati", headers=consumer)
    assert r.status == 200, r.body
    assert r.headers["RateLimit-Limit"] == "30", "search has its own limit (seed 6.2)"
    hits = r.json()["data"]
    assert provider_id in [h["id"] for h in hits]
    assert next(h for h in hits if h["id"] == provider_id)["distanceKm"] < 1

    # Book for the day after tomorrow, 10:00 Manila time.
    day = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=2)
    slot = day.replace(hour=2, minute=0, second=0, microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    r = request("POST", gw + "/v1/bookings", {"providerId": provider_id, "title": "Clean 2 split-type units",
                                              "location": "Salcedo Village, Makati", "scheduledDate": slot, "estimatedHours": 2}, headers=consumer)
    assert r.status == 201, r.body
    booking = r.json()["data"]
    assert booking["estimatedTotal"] == 120000 and booking["status"] == "pending"
    bid = booking["id"]

    r = request("PUT", gw + f"/v1/bookings/{bid}/accept", headers=pro)
    assert r.status == 200 and r.json()["data"]["status"] == "accepted", r.body

    # The consumer pays into escrow with GCash at once (the escrow opens from the
    # booking.accepted event, or from core's copy if the consumer is quicker).
    r = request("POST", gw + "/v1/transactions/escrow", {"bookingId": bid}, headers=consumer)
    assert r.status == 200, r.body
    assert r.json()["data"]["amount"] == 120000 and r.json()["data"]["escrowStatus"] == "pending"
    assert request("POST", gw + "/v1/escrow/create", {"bookingId": bid}, headers=pro).status == 404, "the seed's other spelling"

    # The pro covers the job (damage to the customer's home); the premium
    # comes out of the release. Only the booking's pro buys it, once.
    r = request("GET", gw + f"/v1/insurance/quote?bookingId={bid}", headers=pro)
    assert r.status == 200, r.body
    assert {q["plan"]: q["premium"] for q in r.json()["data"]} == {"basic": 2500, "plus": 4200}
    assert request("GET", gw + f"/v1/insurance/quote?bookingId={bid}", headers=consumer).status == 404
    cover = {**pro, "Idempotency-Key": "cover-" + bid}
    r = request("POST", gw + "/v1/insurance/policies", {"bookingId": bid, "plan": "basic"}, headers=cover)
    assert r.status == 201, r.body
    policy = r.json()["data"]
    assert policy["coverage"] == 600000 and policy["consumerId"] == consumer_id
    replay = request("POST", gw + "/v1/insurance/policies", {"bookingId": bid, "plan": "basic"}, headers=cover)
    assert replay.status == 201 and replay.json()["data"]["id"] == policy["id"], "a replay answers the first time's result"
    r = request("POST", gw + "/v1/insurance/policies", {"bookingId": bid, "plan": "plus"}, headers=pro)
    assert r.status == 409, r.body
    r = request("POST", gw + "/v1/payments/create",
                {"bookingId": bid, "method": "gcash", "returnUrl": standins.url + "/health"}, headers=consumer)
    assert r.status == 201, r.body
    pay = r.json()["data"]
    assert pay["amount"] == 120000 and "/paymongo/checkout/" in pay["redirectUrl"]
    checkout = urllib.request.urlopen(pay["redirectUrl"]).read().decode()
    assert "Authorize payment" in checkout and "1200.00" in checkout
    authorized = request("POST", pay["redirectUrl"] + "/authorize")
    assert authorized.status in (200, 303), authorized.body
    tid = pay["transactionId"]
    deadline = time.time() + 15
    while request("GET", gw + f"/v1/transactions/{tid}", headers=consumer).json()["data"]["escrowStatus"] != "held":
        assert time.time() < deadline, "the webhook put the payment into escrow"
        time.sleep(0.2)

    # The payment reaches core too: the job may start now.
    deadline = time.time() + 15
    while not request("GET", gw + f"/v1/bookings/{bid}", headers=pro).json()["data"].get("paidAt"):
        assert time.time() < deadline, "core heard of the escrow"
        time.sleep(0.2)
    for step, who, status in [("start", pro, "in_progress"), ("complete", pro, "in_progress"), ("complete", consumer, "completed")]:
        r = request("PUT", gw + f"/v1/bookings/{bid}/{step}", headers=who)
        assert r.status == 200, (step, r.body)
        assert r.json()["data"]["status"] == status

    # Completion releases the escrow to the pro, minus the platform's 10 %.
    deadline = time.time() + 15
    while True:
        t = request("GET", gw + f"/v1/transactions/{tid}", headers=pro).json()["data"]
        if t["escrowStatus"] == "released" or time.time() > deadline:
            break
        time.sleep(0.2)
    assert t["escrowStatus"] == "released" and t["releasedAmount"] == 120000 and t["platformFee"] == 12000
    r = request("PUT", gw + f"/v1/bookings/{bid}/accept", headers=pro)
    assert r.status == 409 and r.json()["error"]["code"] == "ILLEGAL_BOOKING_STATE"
    balance = request("GET", gw + "/v1/payouts/balance", headers=pro).json()["data"]
    assert balance["available"] == 120000 - 12000 - 2500, balance

    # The customer claims on the cover; the pro cannot.
    claim = {"amount": 150000, "description": "A cracked aircon front panel after the cleaning.",
             "method": "gcash", "accountName": "Liza Soberano", "accountNumber": "09171234567"}
    r = request("POST", gw + f"/v1/insurance/policies/{policy['id']}/claims", claim, headers=consumer)
    assert r.status == 201 and r.json()["data"]["destination"] == "GCash ••••4567", r.body
    assert request("POST", gw + f"/v1/insurance/policies/{policy['id']}/claims", claim, headers=pro).status == 403

    # One job is not yet a loan: the offer says why; consumers get none.
    r = request("GET", gw + "/v1/loans/offer?amount=100000&termMonths=3", headers=pro)
    assert r.status == 200, r.body
    offer = r.json()["data"]
    assert offer["eligible"] is False and any("5 paid jobs" in reason for reason in offer["reasons"]), offer
    assert len(offer["schedule"]) == 3
    r = request("POST", gw + "/v1/loans", {"amount": 100000, "termMonths": 3}, headers=pro)
    assert r.status == 422 and r.json()["error"]["code"] == "LOAN_NOT_ELIGIBLE", r.body
    assert request("GET", gw + "/v1/loans/offer", headers=consumer).status == 403
    r = request("GET", gw + "/v1/loans/offer?amount=9223372036854775807&termMonths=6", headers=pro)
    assert r.status == 400 and r.json()["error"]["code"] == "VALIDATION_ERROR", r.body

    r = request("POST", gw + "/v1/reviews", {"bookingId": bid, "rating": 5, "title": "Ang linis!",
                                            "content": "On time and very tidy."}, headers=consumer)
    assert r.status == 201, r.body
    provider = request("GET", gw + f"/v1/providers/{provider_id}", headers=consumer).json()["data"]
    assert provider["totalReviews"] == 1 and provider["avgRating"] == 5 and provider["totalJobsCompleted"] == 1

    # The AI service scored the pro from the events (core → ai) and core
    # shows the same score (ai → core), within seconds.
    deadline = time.time() + 20
    while True:
        r = request("GET", gw + f"/v1/ai/trust-score/{pro_id}", headers=consumer)
        trust = r.json()["data"] if r.status == 200 else None
        if trust and any(h["reason"] == "review.created" for h in trust["history"]) or time.time() > deadline:
            break
        time.sleep(0.3)
    assert trust and any(h["reason"] == "review.created" for h in trust["history"]), trust
    assert [f["name"] for f in trust["factors"]] == ["completionRate", "responseTime", "rating", "accountAge", "disputeRate"]
    assert trust["providerId"] == provider_id
    deadline = time.time() + 20
    while request("GET", gw + f"/v1/providers/{provider_id}", headers=consumer).json()["data"]["trustScore"] != trust["score"]:
        assert time.time() < deadline, "core shows the AI's score"
        time.sleep(0.3)

    # Both sides were told, through outbox → queue → notification service.
    assert {"booking-created", "review-received"} <= inbox_types(gw, pro, {"booking-created", "review-received"})
    assert {"booking-accepted", "booking-completed", "payment-received"} <= inbox_types(
        gw, consumer, {"booking-accepted", "booking-completed", "payment-received"})
    assert "escrow-released" in inbox_types(gw, pro, {"escrow-released"})


def test_a_chat_between_the_two_through_the_gateway(gateway):
    gw = gateway
    consumer, _ = sign_up(gw, "Bea Alonzo", "consumer")
    pro, _ = sign_up(gw, "Coco Martin", "provider")
    tree = request("GET", gw + "/v1/categories", headers=consumer).json()["data"]
    plumbing = next(c for root in tree for c in root["children"] if c["slug"] == "plumbing")
    provider_id = request("POST", gw + "/v1/providers", {
        "categoryId": plumbing["id"], "businessName": "Martin Plumbing", "hourlyRate": 40000,
        "serviceAreas": ["Quezon City"]}, headers=pro).json()["data"]["id"]
    r = request("POST", gw + "/v1/chats", {"providerId": provider_id}, headers=consumer)
    assert r.status == 201, r.body
    room = r.json()["data"]["id"]
    assert request("POST", gw + f"/v1/chats/{room}/messages", {"content": "May tagas po sa lababo."}, headers=consumer).status == 201
    rooms = request("GET", gw + "/v1/chats", headers=pro).json()["data"]
    assert rooms[0]["id"] == room and rooms[0]["unreadCount"] == 1
    page = request("GET", gw + f"/v1/chats/{room}/messages", headers=pro).json()["data"]
    assert [m["content"] for m in page["messages"]] == ["May tagas po sa lababo."]


def multipart(purpose, name, data, boundary="ttSystemBoundary"):
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\n{purpose}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\r\n").encode()
    return body + data + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def upload(gw, who, purpose, name, data):
    body, content_type = multipart(purpose, name, data)
    req = urllib.request.Request(gw + "/v1/files/upload", data=body, method="POST",
                                 headers={**who, "Content-Type": content_type})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def png_photo():
    """A 96×64 RGB PNG (stored deflate blocks), made here."""
    import struct
    import zlib
    width, height = 96, 64
    rows = b"".join(b"\x00" + b"".join(bytes((x * 2 % 256, y * 4 % 256, 120)) for x in range(width)) for y in range(height))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def test_an_avatar_through_the_gateway_and_a_virus_refused(gateway):
    gw = gateway
    who, user_id = sign_up(gw, "Nora Aunor", "consumer")
    status, body = upload(gw, who, "avatar", "nora.png", png_photo())
    assert status == 201, body
    avatar = body["data"]
    assert avatar["kind"] == "png" and set(avatar["urls"]) == {"original", "large", "thumb"}
    # Links point at FILE_PUBLIC_BASE_URL (the gateway or a CDN); the path and query are what is signed.
    thumb = gw + avatar["urls"]["thumb"][avatar["urls"]["thumb"].index("/v1/files/"):]
    ip = {"X-Forwarded-For": who["X-Forwarded-For"]}
    with urllib.request.urlopen(urllib.request.Request(thumb, headers=ip), timeout=30) as r:  # a signed link: no token needed
        data = r.read()
        assert r.headers["Content-Type"] == "image/webp" and data[:4] == b"RIFF" and data[8:12] == b"WEBP"
        assert r.headers["Cache-Control"].startswith("public, max-age=")
    r = request("GET", thumb.replace("signature=", "signature=x"), headers=ip)
    assert r.status == 403, "a tampered link is refused"
    r = request("POST", gw + "/v1/users/avatar", {"fileId": avatar["id"]}, headers=who)
    assert r.status == 200 and r.json()["data"]["avatarFileId"] == avatar["id"], r.body

    eicar = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
    import io
    import zipfile
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
        z.writestr("eicar.com", eicar)
    status, body = upload(gw, who, "chat_attachment", "invoice.docx", buf.getvalue())
    assert status == 422 and body["error"]["code"] == "FILE_INFECTED", body
