"""The one message catalogue: Bahasa Indonesia (the staff's language, the default) and English."""

from __future__ import annotations

from collections.abc import Callable

LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"

# key: (Bahasa Indonesia, English)
MESSAGES: dict[str, tuple[str, str]] = {
    "app.title": ("Portal Program Prakerja", "Prakerja Programme Portal"),
    "app.skip": ("Lewati ke konten utama", "Skip to main content"),
    "app.logged_in_as": ("Masuk sebagai", "Logged in as"),
    "app.role": ("Peran", "Role"),
    "app.logout": ("Keluar", "Log out"),
    "app.language": ("Bahasa", "Language"),
    "nav.label": ("Navigasi utama", "Main navigation"),
    "nav.dashboard": ("Dasbor", "Dashboard"),
    "nav.curation": ("Kurasi", "Curation"),
    "nav.partners": ("Mitra", "Partners"),
    "nav.participants": ("Peserta", "Participants"),
    "nav.vouchers": ("Voucher", "Vouchers"),
    "nav.finance": ("Keuangan", "Finance"),
    "role.curator": ("Kurator", "Curator"),
    "role.partner_manager": ("Pengelola mitra", "Partner manager"),
    "role.support": ("Layanan peserta", "Support"),
    "role.finance": ("Keuangan", "Finance"),
    "role.auditor": ("Auditor", "Auditor"),
    "role.admin": ("Administrator", "Administrator"),
    "login.title": ("Masuk", "Log in"),
    "login.email": ("Surel", "E-mail"),
    "login.password": ("Kata sandi", "Password"),
    "login.otp": ("Kode sekali pakai (6 angka dari aplikasi autentikator)", "One-time code (6 digits from your app)"),
    "login.submit": ("Masuk", "Log in"),
    "login.failed": ("Surel, kata sandi, atau kode tidak benar.", "The e-mail, password or code is not right."),
    "login.locked": (
        "Terlalu banyak percobaan gagal. Akun dikunci sementara; coba lagi nanti.",
        "Too many failed attempts. The account is locked for a while; try again later.",
    ),
    "login.ended": ("Sesi Anda telah berakhir. Silakan masuk lagi.", "Your session has ended. Please log in again."),
    "dashboard.title": ("Dasbor", "Dashboard"),
    "dashboard.welcome": ("Selamat datang", "Welcome"),
    "dashboard.queue": ("Kursus menunggu kurasi", "Courses awaiting curation"),
    "dashboard.partners": ("Mitra", "Partners"),
    "dashboard.participants": ("Peserta (halaman pertama)", "Participants (first page)"),
    "dashboard.chart": ("Peserta terdaftar per hari, 30 hari terakhir", "Participants enrolled per day, last 30 days"),
    "dashboard.not_available": ("Tidak tersedia untuk peran Anda", "Not available to your role"),
    "curation.title": ("Antrean kurasi", "Curation queue"),
    "curation.empty": ("Tidak ada kursus yang menunggu.", "No course is waiting."),
    "curation.course": ("Kursus", "Course"),
    "curation.partner": ("Mitra", "Partner"),
    "curation.price": ("Harga", "Price"),
    "curation.hours": ("Jam", "Hours"),
    "curation.format": ("Format", "Format"),
    "curation.revision": ("Perubahan menunggu", "Pending revision"),
    "curation.approve": ("Setujui", "Approve"),
    "curation.reject": ("Tolak", "Reject"),
    "curation.reasons": ("Alasan penolakan (satu per baris)", "Reasons for rejection (one per line)"),
    "curation.approved": ("Kursus disetujui.", "Course approved."),
    "curation.rejected": ("Kursus ditolak.", "Course rejected."),
    "curation.read_only": (
        "Peran Anda hanya dapat melihat; keputusan kurasi bukan wewenang Anda.",
        "Your role is read-only; curation decisions are not yours to make.",
    ),
    "partners.title": ("Mitra dan klien", "Partners and clients"),
    "partners.new": ("Mitra baru", "New partner"),
    "partners.name": ("Nama", "Name"),
    "partners.kind": ("Jenis", "Kind"),
    "partners.kind.platform": ("Platform digital", "Digital platform"),
    "partners.kind.provider": ("Lembaga pelatihan", "Training provider"),
    "partners.contact": ("Surel kontak", "Contact e-mail"),
    "partners.status": ("Status", "Status"),
    "partners.create": ("Daftarkan mitra", "Onboard partner"),
    "partners.clients": ("Klien OAuth", "OAuth clients"),
    "partners.client_name": ("Nama klien", "Client name"),
    "partners.environment": ("Lingkungan", "Environment"),
    "partners.issue": ("Terbitkan klien", "Issue client"),
    "partners.rotate": ("Ganti rahasia", "Rotate secret"),
    "partners.disable": ("Nonaktifkan", "Disable"),
    "partners.open": ("Buka", "Open"),
    "partners.none": ("Belum ada.", "None yet."),
    "secret.title": ("Rahasia klien (ditampilkan sekali)", "Client secret (shown once)"),
    "secret.warning": (
        "Salin sekarang. Rahasia ini tidak akan ditampilkan lagi.",
        "Copy it now. This secret will not be shown again.",
    ),
    "secret.back": ("Kembali ke mitra", "Back to the partner"),
    "participants.title": ("Cari peserta", "Find a participant"),
    "participants.query": (
        "Nomor Prakerja, nama, atau surel",
        "Prakerja number, name or e-mail",
    ),
    "participants.nik": ("NIK (harus persis)", "NIK (exact match)"),
    "participants.search": ("Cari", "Search"),
    "participants.none": ("Tidak ada peserta yang cocok.", "No participant matches."),
    "participants.number": ("Nomor Prakerja", "Prakerja number"),
    "participants.balance": ("Saldo", "Balance"),
    "participants.ledger": ("Buku besar", "Ledger"),
    "participants.vouchers": ("Voucher", "Vouchers"),
    "participants.freeze": ("Bekukan", "Freeze"),
    "participants.unfreeze": ("Cairkan", "Unfreeze"),
    "participants.review": ("Catat peninjauan", "Record review"),
    "participants.reason": ("Alasan", "Reason"),
    "participants.done": ("Tindakan tercatat.", "Action recorded."),
    "participants.next": ("Halaman berikutnya", "Next page"),
    "vouchers.title": ("Cari voucher", "Find a voucher"),
    "vouchers.code": ("Kode voucher", "Voucher code"),
    "vouchers.find": ("Cari", "Find"),
    "vouchers.history": ("Riwayat", "History"),
    "finance.title": ("Keuangan", "Finance"),
    "finance.statements": ("Laporan penyelesaian", "Settlement statements"),
    "finance.none": ("Belum ada laporan dari API.", "The API has no statements yet."),
    "common.status": ("Status", "Status"),
    "common.when": ("Waktu", "When"),
    "common.kind": ("Jenis", "Kind"),
    "common.amount": ("Jumlah", "Amount"),
    "common.action": ("Tindakan", "Action"),
    "error.title": ("Tidak dapat dilanjutkan", "Cannot continue"),
    "error.forbidden": (
        "Peran Anda tidak mengizinkan halaman atau tindakan ini.",
        "Your role does not allow this page or action.",
    ),
    "error.refused": ("API menolak permintaan ini", "The API refused this request"),
    "error.not_found": ("Tidak ditemukan.", "Not found."),
    "error.csrf": ("Formulir kedaluwarsa atau tidak sah. Muat ulang halaman.", "The form expired or is not valid."),
}


def translate(key: str, language: str) -> str:
    """The message for `key` in `language` (Indonesian when the language is unknown; the key if it is missing)."""
    pair = MESSAGES.get(key)
    if pair is None:
        return key
    return pair[1] if language == "en" else pair[0]


def translator(language: str) -> Callable[[str], str]:
    return lambda key: translate(key, language)
