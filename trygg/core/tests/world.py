"""Two providers in one municipality, a second municipality, and a persona for every role.

Everything another provider or municipality owns carries a marker (a name, a national id,
an address) that must never show up in a response to someone outside it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Model
from django.test import override_settings
from django.utils import timezone

from trygg.alarms.models import (
    Alarm,
    AlarmCategory,
    AlarmKind,
    AlarmPolicy,
    District,
    ResponderShift,
)
from trygg.core.constants import MUNICIPAL_ROLES, PROVIDER_ROLES, AccessAction, Role, Technology
from trygg.core.models import (
    ApiToken,
    Client,
    Consent,
    Municipality,
    Provider,
    ServiceType,
    Team,
    User,
)
from trygg.core.services import log_client_access
from trygg.core.tokens import create_token
from trygg.devices.identifiers import make_imei
from trygg.devices.models import (
    AlarmPlacement,
    AlarmProtocol,
    AlarmUnit,
    AlarmUnitKind,
    DoorKind,
    DoorLock,
    NfcTag,
    Phone,
)
from trygg.lib import tagcodes
from trygg.lib.national_ids import make_swedish
from trygg.locks.constants import KeyReason, LockEventKind
from trygg.locks.models import (
    BackupKey,
    BatteryTask,
    DigitalKey,
    KeyReceipt,
    LockEvent,
    LockFault,
)
from trygg.notifications.models import Notification
from trygg.outages import demo as outages_demo
from trygg.outages.constants import RuleAudience
from trygg.outages.models import MaintenanceWindow, NoticeRule, Outage
from trygg.sensors.models import SensorRule
from trygg.servicedesk.access import order_clients
from trygg.servicedesk.catalogue import ensure_default_catalogue
from trygg.servicedesk.models import Order, OrderType
from trygg.servicedesk.services import add_attachment, place_order
from trygg.supervision.models import CameraSession, LookIn, SupervisionPlan
from trygg.support import demo as support_demo
from trygg.support.models import CallOut, EscalationStep, Service, SupportLine
from trygg.training.constants import SessionKind
from trygg.training.models import Booking, StartPlan, TrainingSession, WebCourseCompletion
from trygg.visits.models import Band, FlagKind, Presence, Visit, VisitFlag

from .factories import (
    ClientFactory,
    ConsentFactory,
    GrantedServiceFactory,
    MunicipalityFactory,
    ProviderFactory,
    ServiceTypeFactory,
    TeamFactory,
    UserFactory,
    make_staff,
)

# Roles that work in teams get one; the others see their whole provider or municipality.
TEAM_ROLES = frozenset({Role.CARE_WORKER, Role.TEAM_LEADER, Role.NIGHT_SUPERVISOR})
NO_ROLE = "no_role"


@dataclass
class Corner:
    """What one provider (or, for municipal objects, one municipality) owns."""

    municipality: Municipality
    provider: Provider
    team: Team
    client: Client
    consent: Consent
    staff: User
    service_type: ServiceType
    api_token: ApiToken
    notification: Notification
    phone: Phone
    alarm_unit: AlarmUnit
    alarm: Alarm
    order: Order
    visit: Visit
    shared: dict[str, Model]  # the municipality's own: catalogue, outages, support lines
    start_plan: StartPlan
    booking: Booking
    door_lock: DoorLock
    digital_key: DigitalKey
    tag: NfcTag
    lock_event: LockEvent
    battery_task: BatteryTask
    key_receipt: KeyReceipt
    backup_key: BackupKey
    lock_fault: LockFault
    sensor_rule: SensorRule
    plan: SupervisionPlan
    lookin: LookIn
    camera_session: CameraSession

    def objects(self) -> dict[str, Model]:
        """Objects by the kind a URL parameter names."""
        step = self.order.steps.first()
        attachment = self.order.attachments.first()
        assert step is not None
        assert attachment is not None
        return {
            **self.shared,
            "phone": self.phone,
            "alarmunit": self.alarm_unit,
            "alarm": self.alarm,
            "digitalkey": self.digital_key,
            "lock": self.door_lock,
            "lockevent": self.lock_event,
            "batterytask": self.battery_task,
            "keyreceipt": self.key_receipt,
            "backupkey": self.backup_key,
            "lockfault": self.lock_fault,
            "sensorrule": self.sensor_rule,
            "order": self.order,
            "visit": self.visit,
            "step": step,
            "attachment": attachment,
            "client": self.client,
            "team": self.team,
            "provider": self.provider,
            "staff": self.staff,
            "user": self.staff,
            "consent": self.consent,
            "municipality": self.municipality,
            "servicetype": self.service_type,
            "apitoken": self.api_token,
            "notification": self.notification,
            "startplan": self.start_plan,
            "booking": self.booking,
            "tag": self.tag,
            "plan": self.plan,
            "lookin": self.lookin,
            "camerasession": self.camera_session,
        }


def markers_of(client: Client, staff: User, *extra: str) -> list[str]:
    """Strings that give a client or staff member away, in every form we print them."""
    nid = client.national_id
    return [
        client.last_name,
        client.first_name,
        client.street,
        nid,
        f"{nid[:8]}-{nid[8:]}",
        f"{nid[:8]}-****",
        f"/clients/{client.pk}/",
        staff.last_name,
        f"/staff/{staff.pk}/",
        *extra,
    ]


@dataclass
class World:
    own: Corner  # provider A in municipality 1: where the provider personas work
    neighbour: Corner  # provider B in municipality 1
    remote: Corner  # provider C in municipality 2
    personas: dict[str, User] = field(default_factory=dict)
    own_clients: list[Client] = field(default_factory=list)

    def level(self, persona: str) -> str:
        if persona in PROVIDER_ROLES:
            return "provider"
        if persona in MUNICIPAL_ROLES:
            return "municipality"
        return "none"

    def forbidden_corners(self, persona: str) -> list[Corner]:
        """Corners whose clients this persona must never see."""
        level = self.level(persona)
        if level == "municipality":
            return [self.remote]
        if level == "provider":
            return [self.neighbour, self.remote]
        return [self.own, self.neighbour, self.remote]

    def forbidden_markers(self, persona: str) -> list[str]:
        markers = markers_of(
            self.remote.client,
            self.remote.staff,
            self.remote.provider.name,
            self.remote.team.name,
            self.remote.phone.imei,
            self.remote.alarm_unit.serial_number,
            self.remote.door_lock.serial_number,
        )
        if self.level(persona) in ("provider", "none"):
            markers += markers_of(
                self.neighbour.client, self.neighbour.staff, self.neighbour.phone.imei
            )
        if self.level(persona) == "none":
            markers += markers_of(self.own.client, self.own.staff, self.own.phone.imei)
        return markers


def _corner(
    municipality: Municipality,
    provider_name: str,
    team_name: str,
    client_names: tuple[str, str],
    street: str,
    birth: dt.date,
    staff_last_name: str,
) -> Corner:
    provider = ProviderFactory(municipality=municipality, name=provider_name)
    team = TeamFactory(provider=provider, name=team_name)
    client = ClientFactory(
        provider=provider,
        team=team,
        first_name=client_names[0],
        last_name=client_names[1],
        street=street,
        national_id=make_swedish(birth, 123),
        door_code="4711",
    )
    service_type = ServiceTypeFactory(municipality=municipality)
    GrantedServiceFactory(client=client, service_type=service_type)
    consent = ConsentFactory(client=client, technology=Technology.CAMERA_SUPERVISION)
    staff = make_staff(Role.CARE_WORKER, provider=provider, teams=[team], last_name=staff_last_name)
    token, _plain = create_token(f"Case system {municipality.name}", municipality)
    note = Notification.objects.create(
        recipient=staff, subject=f"Consent to review for {client.last_name}", email_wanted=False
    )
    phone = Phone.objects.create(
        municipality=municipality,
        provider=provider,
        assigned_to=staff,
        imei=make_imei(f"35{birth:%Y%m%d}0000"),
        model_name="Samsung Galaxy XCover 7",
    )
    alarm_unit = AlarmUnit.objects.create(
        municipality=municipality,
        model_name="Careline Vivago",
        serial_number=f"SN-{birth:%Y%m%d}",
        protocol=AlarmProtocol.DC09,
        dc09_account=f"{birth:%y%m}",
        heartbeat_interval=300,
    )
    AlarmPlacement.objects.create(unit=alarm_unit, client=client, active_from=dt.date(2020, 1, 1))
    # A call for help from the client, sent to the client's own team.
    alarm = Alarm.objects.create(
        municipality=municipality,
        unit=alarm_unit,
        client=client,
        provider=provider,
        kind=AlarmKind.ALARM,
        category=AlarmCategory.CARE,
        team=team,
        routed_at=timezone.now(),
    )
    order_type = OrderType.objects.get(municipality=municipality, code="lock_fault")
    order = place_order(
        staff,
        order_type,
        {"client": str(client.pk), "fault": f"Låset hos {client.last_name} svarar inte"},
        provider=provider,
        clients=order_clients(staff, municipality.pk),
    )
    add_attachment(
        staff, order, SimpleUploadedFile("kvitto.txt", b"Kvittens", content_type="text/plain")
    )
    shared = _shared(municipality, staff)
    # The provider starts under the contract: its care worker is booked on a training session.
    start_plan = StartPlan.objects.create(
        provider=provider, approved_on=dt.date(2030, 1, 2), starts_on=dt.date(2030, 3, 1)
    )
    session = shared["session"]
    assert isinstance(session, TrainingSession)
    booking = Booking.objects.create(session=session, provider=provider, person=staff)
    WebCourseCompletion.objects.create(
        municipality=municipality, person=staff, completed_on=dt.date(2029, 12, 1)
    )
    # A keyless lock on the client's door, and the team's care worker holding a key to it.
    door_lock = DoorLock.objects.create(
        municipality=municipality,
        model_name="Phoniro Lock",
        serial_number=f"LOCK-{birth:%Y%m%d}",
        door_kind=DoorKind.FLAT,
        client=client,
        placed_on=dt.date(2020, 1, 1),
    )
    digital_key = DigitalKey.objects.create(
        holder=staff,
        lock=door_lock,
        reason=KeyReason.TEAM,
        team=team,
        client=client,
        provider=provider,
        starts_at=timezone.now(),
    )
    # The key opened the door (a lock event), and the lock is running low (a battery task).
    lock_event = LockEvent.objects.create(
        lock=door_lock,
        event_id=f"walk-{birth:%Y%m%d}",
        kind=LockEventKind.UNLOCKED,
        at=timezone.now() - dt.timedelta(days=3),
        key=digital_key,
        key_number=digital_key.pk,
        holder=staff,
    )
    battery_task = BatteryTask.objects.create(
        municipality=municipality,
        lock=door_lock,
        level=12,
        reported_at=timezone.now(),
        due_on=municipality.today() + dt.timedelta(days=7),
    )
    # The client's keys under a key receipt, a backup key in the register, and a lock fault
    # reported at the door with its ticket.
    key_receipt = KeyReceipt.objects.create(
        municipality=municipality,
        client=client,
        keys="Lägenhetsnyckel",
        holder="alarm_organisation",
        handed_over_on=dt.date(2020, 1, 1),
        signed_by=client.full_name,
        signed_how="paper",
        registered_by=staff,
    )
    backup_key = BackupKey.objects.create(
        municipality=municipality,
        client=client,
        label=f"R-{birth:%Y%m%d}",
        kept_at="Larmorganisationen, krok 1",
        receipt=key_receipt,
        registered_by=staff,
    )
    lock_fault = LockFault.objects.create(
        municipality=municipality,
        lock=door_lock,
        client=client,
        provider=provider,
        reported_by=staff,
        reported_at=timezone.now(),
        symptom="wont_open",
        order=order,
    )
    # A visit the staff member registered at the client, flagged for review.
    arrived = timezone.now() - dt.timedelta(days=2)
    visit = Visit.objects.create(
        municipality=municipality,
        provider=provider,
        team=team,
        client=client,
        staff=staff,
        started_at=arrived,
        ended_at=arrived + dt.timedelta(minutes=1),
        minutes=1,
        local_date=municipality.local_date(arrived),
        band=Band.DAY,
        arrival=Presence.TAG,
        departure=Presence.TAG,
    )
    VisitFlag.objects.create(visit=visit, kind=FlagKind.SHORT)
    # The NFC tag at the client's door the visit was registered with.
    tag = NfcTag.objects.create(
        municipality=municipality,
        code=tagcodes.generate(),
        client=client,
        placed_on=dt.date(2020, 1, 1),
    )
    # The client's infrared camera rule: which sensor events raise an alarm at night.
    sensor_rule = SensorRule.objects.create(
        client=client, kind="left_bed", starts=dt.time(22), ends=dt.time(7)
    )
    # A safety camera with its supervision plan, tonight's look-in and a camera session.
    camera = AlarmUnit.objects.create(
        municipality=municipality,
        model_name="Trygghetskamera",
        serial_number=f"CAM-{birth:%Y%m%d}",
        protocol=AlarmProtocol.API,
        kind=AlarmUnitKind.SAFETY_CAMERA,
        heartbeat_interval=0,
    )
    camera_placement = AlarmPlacement.objects.create(
        unit=camera, client=client, active_from=dt.date(2020, 1, 1)
    )
    plan = SupervisionPlan.objects.create(
        municipality=municipality,
        client=client,
        provider=provider,
        camera=camera,
        placement=camera_placement,
        start_date=dt.date(2020, 1, 2),
        installed_on=dt.date(2020, 1, 1),
        installed_by=staff,
        journal_confirmed_at=timezone.now(),
        consent=consent,
        sign_placement="Hallen",
    )
    soon = timezone.now() - dt.timedelta(minutes=1)
    lookin = LookIn.objects.create(
        plan=plan,
        municipality=municipality,
        client=client,
        team=team,
        night=municipality.local_date(soon),
        scheduled_at=soon,
        window_ends_at=soon + dt.timedelta(minutes=30),
    )
    camera_session = CameraSession.objects.create(
        plan=plan,
        lookin=lookin,
        client=client,
        user=staff,
        started_at=soon,
        ends_at=soon + dt.timedelta(seconds=30),
        seconds=30,
    )
    return Corner(
        municipality,
        provider,
        team,
        client,
        consent,
        staff,
        service_type,
        token,
        note,
        phone,
        alarm_unit,
        alarm,
        order,
        visit,
        shared,
        start_plan,
        booking,
        door_lock,
        digital_key,
        tag,
        lock_event,
        battery_task,
        key_receipt,
        backup_key,
        lock_fault,
        sensor_rule,
        plan,
        lookin,
        camera_session,
    )


def _shared(municipality: Municipality, recorder: User) -> dict[str, Model]:
    """What the whole municipality shares, made once per municipality."""
    ensure_default_catalogue(municipality)
    now = timezone.now()
    support_demo.seed_demo(municipality, today=timezone.localdate())
    outages_demo.seed_demo(municipality, now=now)
    # The demo keeps the default notice periods and records no call-out: make one of each.
    NoticeRule.objects.get_or_create(
        municipality=municipality, audience=RuleAudience.MANAGERS, defaults={"min_days": 21}
    )
    service = Service.objects.filter(municipality=municipality).first()
    if service is not None and not CallOut.objects.filter(service=service).exists():
        CallOut.objects.create(
            service=service,
            at=now,
            vendor="Låsleverantören AB",
            reason="Låsbyte en söndag",
            cost=Decimal("1850.00"),
            currency="SEK",
            recorded_by=recorder,
        )
    district, _new = District.objects.get_or_create(
        municipality=municipality, code="mitt", defaults={"name": "Mitt", "postal_codes": "999"}
    )
    night_team = Team.objects.filter(provider__municipality=municipality).first()
    if (
        night_team is not None
        and not ResponderShift.objects.filter(municipality=municipality).exists()
    ):
        ResponderShift.objects.create(
            municipality=municipality,
            name="Natt",
            team=night_team,
            district=district,
            starts=dt.time(22),
            ends=dt.time(7),
        )
    AlarmPolicy.objects.get_or_create(municipality=municipality)
    session = TrainingSession.objects.filter(municipality=municipality).first()
    if session is None:
        starts = now + dt.timedelta(days=30)
        session = TrainingSession.objects.create(
            municipality=municipality,
            kind=SessionKind.STARTUP,
            title="Uppstartsutbildning",
            starts_at=starts,
            ends_at=starts + dt.timedelta(hours=3),
            place="Stadshuset",
            systems="visit_app,locks",
            agenda="Besöksappen och låsen",
            seats=10,
        )
    objects: dict[str, Model | None] = {
        "session": session,
        "trainingsession": session,
        "district": district,
        "respondershift": ResponderShift.objects.filter(municipality=municipality).first(),
        "alarmpolicy": AlarmPolicy.objects.filter(municipality=municipality).first(),
        "ordertype": OrderType.objects.filter(municipality=municipality).first(),
        "outage": Outage.objects.filter(municipality=municipality).first(),
        "maintenancewindow": MaintenanceWindow.objects.filter(municipality=municipality).first(),
        "noticerule": NoticeRule.objects.filter(municipality=municipality).first(),
        "service": Service.objects.filter(municipality=municipality).first(),
        "supportline": SupportLine.objects.filter(municipality=municipality).first(),
        "escalationstep": EscalationStep.objects.filter(municipality=municipality).first(),
        "callout": CallOut.objects.filter(service__municipality=municipality).first(),
    }
    missing = [kind for kind, obj in objects.items() if obj is None]
    assert not missing, f"the demo seeds made no {missing} for {municipality}"
    return {kind: obj for kind, obj in objects.items() if obj is not None}


@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
def build_world() -> World:
    municipality = MunicipalityFactory(name="Hemkommun", code="8801")
    far_away = MunicipalityFactory(name="Bortomkommun", code="8802")
    for each in (municipality, far_away):
        ensure_default_catalogue(each)
    own = _corner(
        municipality,
        "Egen Omsorg AB",
        "Egenteamet",
        ("Ella", "Egenberg"),
        "Egenvagen 1",
        dt.date(1932, 3, 4),
        "Kollegasson",
    )
    neighbour = _corner(
        municipality,
        "Granne Omsorg AB",
        "Granneteamet",
        ("Sekreta", "Hemligsson"),
        "Gomdagrand 3",
        dt.date(1931, 7, 19),
        "Framlingsson",
    )
    remote = _corner(
        far_away,
        "Fjarranvard AB",
        "Fjarrteamet",
        ("Avskild", "Fjarrstrom"),
        "Bortavagen 9",
        dt.date(1929, 11, 23),
        "Avlagsensson",
    )
    world = World(own=own, neighbour=neighbour, remote=remote)
    second_team = TeamFactory(provider=own.provider, name="Andrateamet")
    world.own_clients = [own.client, ClientFactory(provider=own.provider, team=second_team)]
    for role in Role:
        if role in PROVIDER_ROLES:
            teams = [own.team] if role in TEAM_ROLES else []
            user = make_staff(role, provider=own.provider, teams=teams, username=f"p_{role}")
        else:
            user = make_staff(role, municipality=municipality, username=f"p_{role}")
        world.personas[role] = user
    world.personas[NO_ROLE] = UserFactory(username="p_no_role")
    # Reads by the other providers' staff, so the access log has rows nobody here may see.
    log_client_access(neighbour.staff, [neighbour.client], AccessAction.DETAIL, path="/")
    log_client_access(remote.staff, [remote.client], AccessAction.DETAIL, path="/")
    return world
