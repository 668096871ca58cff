"""A mixed "Downloads / Pictures" pile (phone and desktop screenshots, scans, receipts, memes, photos,
icons, wallpapers, planted copies, files that are not images), and what the review flags in it by
what each file really is.

    python benchmarks/mixed_pile.py build /tmp/pile --lfw /tmp/lfw --cifar /tmp/cifar   # + /tmp/pile-manifest.csv
    imgorg run /tmp/pile --out /tmp/ws-pile
    python benchmarks/mixed_pile.py score /tmp/ws-pile /tmp/pile-manifest.csv

Needs LFW unpacked (people/, strangers/: shared/datasets/lfw-people.tar.gz), CIFAR-10's JPEG folders
(test/<class>/) and the DejaVu fonts (Debian's fonts-dejavu-core).
"""
import csv
import glob
import io
import math
import random
import shutil
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

PILE = Path("/tmp/pile")  # set by main()
SK = Path(__import__("skimage").__file__).parent / "data"
FONTS = "/usr/share/fonts/truetype/dejavu/"
rng = random.Random(1234)
MANIFEST = []


def font(size, kind="sans"):
    name = {"sans": "DejaVuSans.ttf", "bold": "DejaVuSans-Bold.ttf", "mono": "DejaVuSansMono.ttf",
            "serif": "DejaVuSerif.ttf", "impact": "DejaVuSans-Bold.ttf"}[kind]
    return ImageFont.truetype(FONTS + name, size)


WORDS = ["the", "of", "and", "to", "in", "is", "you", "that", "it", "he", "was", "for", "on", "are", "as", "with", "his", "they", "at", "be", "this", "have", "from", "or", "one", "had", "by", "word", "but", "not", "what", "all", "were", "we", "when", "your", "can", "said", "there", "use", "an", "each", "which", "she", "do", "how", "their", "if", "will", "up", "other", "about", "out", "many", "then", "them", "these", "so", "some", "her", "would", "make", "like", "him", "into", "time", "has", "look", "two", "more", "write", "go", "see", "number", "no", "way", "could", "people", "my", "than", "first", "water", "been", "call", "who", "oil", "its", "now", "find", "long", "down", "day", "did", "get", "come", "made", "may", "part", "invoice", "payment", "total", "account", "meeting", "tomorrow", "dinner", "project", "report", "update", "please", "thanks", "order", "delivery", "address", "phone", "email"]


def sentence(n=None):
    n = n or rng.randint(4, 12)
    s = " ".join(rng.choice(WORDS) for _ in range(n))
    return s[0].upper() + s[1:]


def rec(path, kind):
    MANIFEST.append((str(path.relative_to(PILE)), kind))


def save(img, rel, kind, **kw):
    p = PILE / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    img.save(p, **kw)
    rec(p, kind)
    return p


# ---------------------------------------------------------------- source photos
LFW_PEOPLE: list[str] = []  # set by main()
LFW_STRANGERS: list[str] = []
CIFAR: list[str] = []
SKIMAGE = [SK / f for f in ["astronaut.png", "coffee.png", "chelsea.png", "camera.png", "rocket.jpg",
                            "motorcycle_left.png", "motorcycle_right.png", "horse.png", "hubble_deep_field.jpg",
                            "coins.png", "moon.png", "retina.jpg", "brick.png", "grass.png", "gravel.png"]]


def photo(path, size=None):
    im = Image.open(path).convert("RGB")
    if size:
        im = im.resize(size, Image.LANCZOS)
    return im


def any_photo():
    src = rng.choice([LFW_STRANGERS, CIFAR, SKIMAGE[:8]])
    return photo(rng.choice(src))


# ---------------------------------------------------------------- phone screenshots
def status_bar(d, W, dark=False):
    fg = (255, 255, 255) if dark else (0, 0, 0)
    f = font(int(W * 0.035), "bold")
    d.text((int(W * 0.07), int(W * 0.03)), f"{rng.randint(7, 22)}:{rng.randint(0, 59):02d}", font=f, fill=fg)
    x = W - int(W * 0.25)
    for i in range(4):  # signal bars
        h = int(W * 0.008 * (i + 2))
        d.rectangle([x + i * 14, int(W * 0.07) - h, x + i * 14 + 9, int(W * 0.07)], fill=fg)
    d.rounded_rectangle([W - int(W * 0.13), int(W * 0.04), W - int(W * 0.06), int(W * 0.07)], 6, outline=fg, width=3)
    d.rectangle([W - int(W * 0.125), int(W * 0.045), W - int(W * 0.08), int(W * 0.065)], fill=fg)


def phone_chat(W, H, with_photo=False):
    dark = rng.random() < 0.3
    bg = (17, 27, 33) if dark else rng.choice([(236, 229, 221), (255, 255, 255), (242, 242, 247)])
    im = Image.new("RGB", (W, H), bg)
    d = ImageDraw.Draw(im)
    d.rectangle([0, 0, W, int(H * 0.11)], fill=(7, 94, 84) if rng.random() < .5 else (246, 246, 246))
    status_bar(d, W, dark=True)
    d.ellipse([int(W * .12), int(H * .06), int(W * .2), int(H * .06) + int(W * .08)], fill=(180, 180, 190))
    d.text((int(W * .23), int(H * .065)), rng.choice(["Mom", "Alex", "Team chat", "Sam", "Family"]),
           font=font(int(W * .045), "bold"), fill=(255, 255, 255))
    y = int(H * .14)
    f = font(int(W * .038))
    while y < H * .85:
        mine = rng.random() < .5
        lines = rng.randint(1, 3)
        bw = rng.randint(int(W * .35), int(W * .72))
        bh = lines * int(W * .055) + int(W * .04)
        x0 = W - bw - int(W * .04) if mine else int(W * .04)
        col = (220, 248, 198) if mine else (255, 255, 255)
        if dark:
            col = (0, 92, 75) if mine else (32, 44, 51)
        if with_photo and rng.random() < .35 and y < H * .6:
            ph = any_photo().resize((int(W * .6), int(W * .45)))
            x0 = W - ph.width - int(W * .04) if mine else int(W * .04)
            d.rounded_rectangle([x0 - 8, y - 8, x0 + ph.width + 8, y + ph.height + 8], 20, fill=col)
            im.paste(ph, (x0, y))
            y += ph.height + int(W * .06)
            continue
        d.rounded_rectangle([x0, y, x0 + bw, y + bh], 28, fill=col)
        for i in range(lines):
            d.text((x0 + 24, y + 18 + i * int(W * .055)), sentence(rng.randint(3, 6))[:int(bw / (W * .022))],
                   font=f, fill=(230, 230, 230) if dark else (20, 20, 20))
        y += bh + int(W * .03)
    d.rectangle([0, int(H * .92), W, H], fill=(240, 240, 240) if not dark else (31, 44, 52))
    d.rounded_rectangle([int(W * .04), int(H * .935), int(W * .8), int(H * .97)], 40, fill=(255, 255, 255) if not dark else (42, 57, 66))
    d.ellipse([int(W * .84), int(H * .93), int(W * .96), int(H * .93) + int(W * .12)], fill=(0, 168, 132))
    return im


def phone_settings(W, H):
    im = Image.new("RGB", (W, H), (242, 242, 247))
    d = ImageDraw.Draw(im)
    status_bar(d, W)
    d.text((int(W * .05), int(H * .07)), "Settings", font=font(int(W * .08), "bold"), fill=(0, 0, 0))
    y = int(H * .13)
    items = ["Airplane Mode", "Wi-Fi", "Bluetooth", "Mobile Data", "Notifications", "Sounds & Haptics", "Focus",
             "Screen Time", "General", "Control Centre", "Display & Brightness", "Wallpaper", "Battery", "Privacy",
             "Passwords", "Photos", "Camera", "Maps"]
    rng.shuffle(items)
    f = font(int(W * .042))
    for gi in range(4):
        n = rng.randint(3, 5)
        d.rounded_rectangle([int(W * .04), y, int(W * .96), y + n * int(W * .12)], 30, fill=(255, 255, 255))
        for i in range(n):
            yy = y + i * int(W * .12)
            d.rounded_rectangle([int(W * .07), yy + int(W * .025), int(W * .14), yy + int(W * .095)], 12,
                                fill=rng.choice([(255, 149, 0), (0, 122, 255), (52, 199, 89), (255, 59, 48), (88, 86, 214)]))
            d.text((int(W * .18), yy + int(W * .035)), items.pop() if items else "About", font=f, fill=(0, 0, 0))
            if rng.random() < .4:
                d.rounded_rectangle([int(W * .78), yy + int(W * .03), int(W * .9), yy + int(W * .09)], 40, fill=(52, 199, 89))
                d.ellipse([int(W * .84), yy + int(W * .033), int(W * .898), yy + int(W * .087)], fill=(255, 255, 255))
            else:
                d.text((int(W * .88), yy + int(W * .03)), ">", font=f, fill=(190, 190, 190))
            d.line([int(W * .18), yy + int(W * .12), int(W * .96), yy + int(W * .12)], fill=(220, 220, 225), width=2)
        y += n * int(W * .12) + int(W * .08)
        if y > H * .85:
            break
    return im


def phone_map(W, H):
    im = Image.new("RGB", (W, H), (242, 239, 233))
    d = ImageDraw.Draw(im)
    for _ in range(8):  # parks and water
        x, y = rng.randint(0, W), rng.randint(0, H)
        d.rectangle([x, y, x + rng.randint(150, 500), y + rng.randint(150, 600)],
                    fill=rng.choice([(200, 230, 190), (170, 210, 240)]))
    for i in range(0, W, rng.randint(120, 220)):  # grid streets
        d.line([i + rng.randint(-40, 40), 0, i + rng.randint(-40, 40), H], fill=(255, 255, 255), width=rng.randint(8, 18))
    for j in range(0, H, rng.randint(140, 260)):
        d.line([0, j + rng.randint(-40, 40), W, j + rng.randint(-40, 40)], fill=(255, 255, 255), width=rng.randint(8, 18))
    d.line([0, rng.randint(0, H), W, rng.randint(0, H)], fill=(252, 214, 112), width=30)
    pts = [(rng.randint(100, W - 100), int(H * (.2 + .1 * k))) for k in range(6)]
    d.line(pts, fill=(66, 133, 244), width=22)
    px, py = pts[-1]
    d.ellipse([px - 40, py - 90, px + 40, py - 10], fill=(234, 67, 53))
    d.polygon([(px - 30, py - 40), (px + 30, py - 40), (px, py + 10)], fill=(234, 67, 53))
    f = font(int(W * .03))
    for _ in range(10):
        d.text((rng.randint(0, W - 200), rng.randint(0, H)), rng.choice(["Main St", "Park Ave", "Elm Rd", "Cafe", "Station", "Market"]), font=f, fill=(90, 90, 90))
    status_bar(d, W)
    d.rounded_rectangle([int(W * .04), int(H * .06), int(W * .96), int(H * .11)], 50, fill=(255, 255, 255))
    d.text((int(W * .1), int(H * .072)), "Search here", font=font(int(W * .045)), fill=(110, 110, 110))
    d.rounded_rectangle([0, int(H * .78), W, H], 40, fill=(255, 255, 255))
    d.text((int(W * .06), int(H * .8)), f"{rng.randint(3, 40)} min ({rng.randint(1, 20)} km)", font=font(int(W * .06), "bold"), fill=(24, 128, 56))
    d.text((int(W * .06), int(H * .85)), "Fastest route now due to traffic", font=font(int(W * .04)), fill=(80, 80, 80))
    return im


def phone_feed(W, H):
    im = Image.new("RGB", (W, H), (255, 255, 255))
    d = ImageDraw.Draw(im)
    status_bar(d, W)
    d.text((int(W * .05), int(H * .055)), rng.choice(["Instagram", "Photos", "News"]), font=font(int(W * .07), "bold"), fill=(0, 0, 0))
    y = int(H * .1)
    while y < H * .9:
        d.ellipse([int(W * .04), y, int(W * .12), y + int(W * .08)], fill=(200, 160, 200))
        d.text((int(W * .15), y + int(W * .015)), rng.choice(["travel_daily", "jane.doe", "foodie_life", "bbcnews"]), font=font(int(W * .04), "bold"), fill=(0, 0, 0))
        y += int(W * .1)
        ph = any_photo().resize((W, W))
        im.paste(ph, (0, y))
        y += W + 20
        d.text((int(W * .04), y), sentence(8)[:40], font=font(int(W * .038)), fill=(0, 0, 0))
        y += int(W * .1)
    d.rectangle([0, int(H * .94), W, H], fill=(250, 250, 250))
    for i in range(5):
        d.rectangle([int(W * (.08 + i * .2)), int(H * .955), int(W * (.14 + i * .2)), int(H * .975)], outline=(0, 0, 0), width=4)
    return im


def phone_article(W, H):
    im = Image.new("RGB", (W, H), (255, 255, 255))
    d = ImageDraw.Draw(im)
    status_bar(d, W)
    d.rounded_rectangle([int(W * .04), int(H * .055), int(W * .96), int(H * .085)], 30, fill=(235, 235, 240))
    d.text((int(W * .1), int(H * .06)), "www." + rng.choice(["news", "recipes", "wiki", "blog"]) + ".com", font=font(int(W * .035)), fill=(60, 60, 60))
    y = int(H * .11)
    d.text((int(W * .05), y), sentence(5)[:28], font=font(int(W * .06), "bold"), fill=(0, 0, 0))
    y += int(W * .14)
    if rng.random() < .5:
        ph = any_photo().resize((int(W * .9), int(W * .6)))
        im.paste(ph, (int(W * .05), y))
        y += ph.height + 30
    f = font(int(W * .038), "serif")
    while y < H * .95:
        d.text((int(W * .05), y), sentence(9)[:44], font=f, fill=(30, 30, 30))
        y += int(W * .06)
        if rng.random() < .15:
            y += int(W * .05)
    return im


# ---------------------------------------------------------------- desktop screenshots
def window_chrome(d, W, H, title):
    d.rectangle([0, 0, W, int(H * .035)], fill=(222, 222, 222))
    for i, c in enumerate([(255, 95, 86), (255, 189, 46), (39, 201, 63)]):
        d.ellipse([14 + i * 28, 10, 34 + i * 28, 30], fill=c)
    d.text((W // 2 - 120, 8), title, font=font(int(H * .017)), fill=(50, 50, 50))


def desktop_code(W, H):
    im = Image.new("RGB", (W, H), (30, 30, 30))
    d = ImageDraw.Draw(im)
    window_chrome(d, W, H, "main.py - Visual Studio Code")
    d.rectangle([0, int(H * .035), int(W * .04), H], fill=(51, 51, 51))
    d.rectangle([int(W * .04), int(H * .035), int(W * .17), H], fill=(37, 37, 38))
    f = font(int(H * .016), "mono")
    for i in range(30):
        d.text((int(W * .05), int(H * .05) + i * int(H * .025)), rng.choice(["src", "tests", "README.md", "setup.py", "utils.py", "app.js"]), font=f, fill=(200, 200, 200))
    y = int(H * .05)
    ind = 0
    toks = [("def", (86, 156, 214)), ("return", (197, 134, 192)), ("import", (197, 134, 192)), ("self", (86, 156, 214)),
            ("x", (156, 220, 254)), ("'text'", (206, 145, 120)), ("42", (181, 206, 168)), ("# comment", (106, 153, 85))]
    n = 1
    while y < H - 40:
        d.text((int(W * .18), y), f"{n:4d}", font=f, fill=(110, 110, 110))
        x = int(W * .21) + ind * 30
        for _ in range(rng.randint(1, 7)):
            t, c = rng.choice(toks + [(rng.choice(WORDS), (220, 220, 170))] * 3)
            d.text((x, y), t, font=f, fill=c)
            x += (len(t) + 1) * int(H * .0098)
        ind = max(0, min(4, ind + rng.choice([-1, 0, 0, 1])))
        y += int(H * .022)
        n += 1
    return im


def desktop_sheet(W, H):
    im = Image.new("RGB", (W, H), (255, 255, 255))
    d = ImageDraw.Draw(im)
    window_chrome(d, W, H, "Budget 2023.xlsx - Excel")
    d.rectangle([0, int(H * .035), W, int(H * .13)], fill=(33, 115, 70))
    for i, t in enumerate(["File", "Home", "Insert", "Page Layout", "Formulas", "Data", "Review", "View"]):
        d.text((20 + i * 140, int(H * .05)), t, font=font(int(H * .017)), fill=(255, 255, 255))
    cw, ch = int(W * .07), int(H * .025)
    f = font(int(H * .014))
    y0 = int(H * .15)
    for r in range(int((H - y0) / ch)):
        for c in range(W // cw + 1):
            x, y = c * cw, y0 + r * ch
            d.rectangle([x, y, x + cw, y + ch], outline=(212, 212, 212))
            if r == 0:
                d.rectangle([x, y, x + cw, y + ch], fill=(240, 240, 240), outline=(200, 200, 200))
                d.text((x + cw // 2, y + 4), chr(65 + c % 26), font=f, fill=(60, 60, 60))
            elif c == 0:
                d.text((x + 10, y + 4), str(r), font=f, fill=(60, 60, 60))
            elif r < 40 and c < 9 and rng.random() < .8:
                d.text((x + 6, y + 4), rng.choice([f"{rng.uniform(0, 9999):.2f}", rng.choice(WORDS).title(), f"{rng.randint(1, 99)}%"]), font=f, fill=(0, 0, 0))
    return im


def desktop_doc(W, H, with_photo=False):
    im = Image.new("RGB", (W, H), (230, 230, 230))
    d = ImageDraw.Draw(im)
    window_chrome(d, W, H, rng.choice(["Report.docx - Word", "Inbox - Mail", "Wikipedia - Chrome"]))
    d.rectangle([0, int(H * .035), W, int(H * .09)], fill=(245, 245, 245))
    px0, px1 = int(W * .22), int(W * .78)
    d.rectangle([px0, int(H * .1), px1, H], fill=(255, 255, 255))
    y = int(H * .14)
    d.text((px0 + 60, y), sentence(5), font=font(int(H * .03), "bold"), fill=(0, 0, 0))
    y += int(H * .06)
    if with_photo:
        ph = any_photo().resize((int((px1 - px0) * .6), int((px1 - px0) * .4)))
        im.paste(ph, (px0 + 60, y))
        y += ph.height + 30
    f = font(int(H * .017), "serif")
    while y < H - 40:
        d.text((px0 + 60, y), sentence(14)[:int((px1 - px0) / (H * .0105))], font=f, fill=(30, 30, 30))
        y += int(H * .028)
        if rng.random() < .12:
            y += int(H * .02)
    return im


def desktop_files(W, H):
    im = Image.new("RGB", (W, H), (250, 250, 250))
    d = ImageDraw.Draw(im)
    window_chrome(d, W, H, "Downloads - Finder")
    d.rectangle([0, int(H * .035), int(W * .15), H], fill=(232, 232, 236))
    f = font(int(H * .016))
    for i, t in enumerate(["Favourites", "Desktop", "Documents", "Downloads", "Pictures", "Music", "iCloud Drive"]):
        d.text((20, int(H * .06) + i * int(H * .035)), t, font=f, fill=(60, 60, 60))
    for r in range(4):
        for c in range(7):
            x, y = int(W * .18) + c * int(W * .11), int(H * .08) + r * int(H * .22)
            if rng.random() < .4:
                ph = any_photo().resize((int(W * .08), int(W * .06)))
                im.paste(ph, (x, y))
            else:
                d.rectangle([x + 20, y, x + int(W * .06), y + int(W * .07)], fill=rng.choice([(100, 160, 230), (255, 255, 255), (230, 90, 80)]), outline=(150, 150, 150))
            d.text((x, y + int(W * .08)), rng.choice(WORDS) + rng.choice([".pdf", ".jpg", ".zip", ".docx"]), font=f, fill=(30, 30, 30))
    return im


# ---------------------------------------------------------------- scans and receipts
def scan_doc(W=1240, H=1754):
    paper = rng.randint(225, 252)
    im = Image.new("L", (W, H), paper)
    d = ImageDraw.Draw(im)
    y = 120
    d.text((100, y), rng.choice(["INVOICE", "Letter", "Tenancy Agreement", "Certificate", "Medical Report", "Tax Statement"]),
           font=font(44, "bold"), fill=30)
    y += 90
    d.text((100, y), f"Date: {rng.randint(1, 28)}/{rng.randint(1, 12)}/2023", font=font(22), fill=40)
    y += 60
    f = font(22, rng.choice(["serif", "sans"]))
    while y < H - 200:
        if rng.random() < .1:
            y += 30
        d.text((100, y), sentence(12)[:85], font=f, fill=rng.randint(20, 60))
        y += 34
    if rng.random() < .5:
        d.line([800, H - 150, 1100, H - 170], fill=40, width=3)
        d.text((800, H - 140), "Signature", font=font(18), fill=60)
    im = im.convert("RGB")
    if rng.random() < .6:
        im = im.rotate(rng.uniform(-3, 3), resample=Image.BICUBIC, expand=False, fillcolor=(paper - 40,) * 3)
    if rng.random() < .5:  # yellowish / greyish paper tint
        tint = Image.new("RGB", im.size, rng.choice([(245, 240, 220), (215, 215, 215)]))
        im = Image.blend(im, tint, .25)
    return im


def receipt(W=600):
    lines = rng.randint(18, 35)
    H = 260 + lines * 34 + 260
    im = Image.new("RGB", (W, H), (rng.randint(235, 250),) * 3)
    d = ImageDraw.Draw(im)
    f = font(22, "mono")
    d.text((W // 2 - 130, 40), rng.choice(["SUPERMARKET", "COFFEE HOUSE", "PHARMACY", "HARDWARE CO"]), font=font(32, "bold"), fill=20)
    d.text((60, 100), "123 High Street  Tel 555-0134", font=f, fill=40)
    d.text((60, 140), f"{rng.randint(1, 28):02d}/05/2023 {rng.randint(8, 20)}:{rng.randint(0, 59):02d}", font=f, fill=40)
    y = 220
    tot = 0
    for _ in range(lines):
        p = rng.uniform(0.5, 30)
        tot += p
        d.text((60, y), rng.choice(WORDS).upper()[:14].ljust(16) + f"{p:8.2f}", font=f, fill=30)
        y += 34
    d.line([60, y + 10, W - 60, y + 10], fill=40, width=2)
    d.text((60, y + 30), "TOTAL".ljust(16) + f"{tot:8.2f}", font=font(26, "mono"), fill=10)
    d.text((60, y + 80), "VISA ****" + str(rng.randint(1000, 9999)), font=f, fill=40)
    for i in range(40):  # barcode
        x = 80 + i * 11
        d.rectangle([x, y + 140, x + rng.randint(2, 7), y + 220], fill=0)
    return im


def jpeg_degrade(im, q):
    b = io.BytesIO()
    im.save(b, "JPEG", quality=q)
    return Image.open(io.BytesIO(b.getvalue())).convert("RGB")


# ---------------------------------------------------------------- memes, wallpapers, logos
def meme(base, top, bottom, W=800):
    base = base.resize((W, int(W * base.height / base.width)), Image.LANCZOS)
    d = ImageDraw.Draw(base)
    f = font(int(W * .09), "impact")
    for txt, y in [(top, int(W * .02)), (bottom, base.height - int(W * .13))]:
        tw = d.textlength(txt, font=f)
        x = (W - tw) / 2
        d.text((x, y), txt, font=f, fill=(255, 255, 255), stroke_width=5, stroke_fill=(0, 0, 0))
    return base


def wallpaper(W, H):
    kind = rng.choice(["linear", "radial", "waves"])
    c1 = [rng.randint(0, 255) for _ in range(3)]
    c2 = [rng.randint(0, 255) for _ in range(3)]
    small = Image.new("RGB", (64, 36))
    px = small.load()
    for y in range(36):
        for x in range(64):
            if kind == "linear":
                t = (x + y) / 99
            elif kind == "radial":
                t = min(1, math.hypot(x - 32, y - 18) / 36)
            else:
                t = .5 + .5 * math.sin(x / 6 + 2 * math.sin(y / 5))
            px[x, y] = tuple(int(a + (b - a) * t) for a, b in zip(c1, c2))
    return small.resize((W, H), Image.BICUBIC)


def logo(size, style):
    im = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    c = tuple(rng.randint(0, 255) for _ in range(3)) + (255,)
    if style == 0:
        d.ellipse([4, 4, size - 4, size - 4], fill=c)
        d.text((size * .3, size * .2), rng.choice("ABXQM"), font=font(int(size * .5), "bold"), fill=(255, 255, 255, 255))
    elif style == 1:
        d.rounded_rectangle([4, 4, size - 4, size - 4], size // 5, fill=c)
        d.polygon([(size * .35, size * .25), (size * .35, size * .75), (size * .75, size * .5)], fill=(255, 255, 255, 255))
    elif style == 2:
        d.polygon([(size / 2, 4), (size - 4, size - 4), (4, size - 4)], fill=c)
    else:
        for i in range(5):
            a = i * 2 * math.pi / 5
            d.ellipse([size / 2 + size * .3 * math.cos(a) - size * .15, size / 2 + size * .3 * math.sin(a) - size * .15,
                       size / 2 + size * .3 * math.cos(a) + size * .15, size / 2 + size * .3 * math.sin(a) + size * .15], fill=c)
    return im


def build(lfw: Path, cifar_root: Path):
    LFW_PEOPLE[:] = sorted(glob.glob(str(lfw / "people/*/*.jpg")))
    LFW_STRANGERS[:] = sorted(glob.glob(str(lfw / "strangers/*/*.jpg")))
    CIFAR[:] = sorted(glob.glob(str(cifar_root / "test/*/00[01]*.jpg")))  # the first 20 of each class
    if PILE.exists():
        shutil.rmtree(PILE)
    PILE.mkdir(parents=True)
    lfw_s = LFW_STRANGERS[:]
    rng.shuffle(lfw_s)
    cifar = CIFAR[:]
    rng.shuffle(cifar)

    # ---- phone screenshots (Screenshots/)
    phone_sizes = [(1170, 2532), (1080, 2400)]
    makers = [("chat", lambda W, H: phone_chat(W, H)), ("chat_photo", lambda W, H: phone_chat(W, H, True)),
              ("settings", phone_settings), ("map", phone_map), ("feed", phone_feed), ("article", phone_article)]
    shots = []
    k = 0
    for kind, fn in makers:
        for i in range(7):
            W, H = phone_sizes[k % 2]
            im = fn(W, H)
            name = (f"Screenshots/Screenshot_2023{(k % 12) + 1:02d}{(k % 27) + 1:02d}-1{k:05d}.png" if k % 2
                    else f"Screenshots/IMG_{4100 + k}.PNG")
            shots.append(save(im, name, f"phone_screenshot:{kind}"))
            k += 1
    # ---- desktop screenshots
    dmakers = [("code", desktop_code), ("sheet", desktop_sheet), ("doc", desktop_doc),
               ("doc_photo", lambda W, H: desktop_doc(W, H, True)), ("files", desktop_files)]
    for kind, fn in dmakers:
        for i in range(5):
            W, H = [(1920, 1080), (2560, 1440)][i % 2]
            im = fn(W, H)
            save(im, f"Screenshots/Screenshot 2023-06-{i + 1:02d} at 1{k % 10}.{k:02d}.{i * 7:02d}.png", f"desktop_screenshot:{kind}")
            k += 1
    # copies of screenshots: JPEG re-save, crop, and a "(1)" exact copy
    (PILE / "Downloads").mkdir(exist_ok=True)
    src_shot = shots[0]
    Image.open(src_shot).convert("RGB").save(PILE / "Downloads/screenshot_chat.jpg", quality=85)
    rec(PILE / "Downloads/screenshot_chat.jpg", "copy:jpeg_of:" + str(src_shot.relative_to(PILE)))
    sh2 = shots[21]  # a map
    im = Image.open(sh2)
    W, H = im.size
    save(im.crop((0, int(H * .12), W, int(H * .75))), "Downloads/map_cropped.png", "copy:crop_of:" + str(sh2.relative_to(PILE)))
    sh3 = shots[29]  # feed
    im = Image.open(sh3)
    W, H = im.size
    save(im.crop((0, int(H * .09), W, int(H * .55))), "WhatsApp Images/IMG-20230611-WA0003.jpg", "copy:crop_jpeg_of:" + str(sh3.relative_to(PILE)), quality=80)
    sh4 = shots[14]
    shutil.copy(sh4, PILE / "Downloads" / (sh4.stem + " (1)" + sh4.suffix))
    rec(PILE / "Downloads" / (sh4.stem + " (1)" + sh4.suffix), "copy:exact_of:" + str(sh4.relative_to(PILE)))

    # ---- scans and receipts
    for i in range(16):
        im = scan_doc()
        q = rng.choice([35, 50, 75, 90])
        save(jpeg_degrade(im, q), f"Scans/scan_{i + 1:03d}.jpg", "scan_document", quality=q)
    for i in range(10):
        im = receipt()
        if rng.random() < .5:
            im = im.rotate(rng.uniform(-4, 4), resample=Image.BICUBIC, expand=True, fillcolor=(60, 60, 60))
        save(jpeg_degrade(im, 60), f"Scans/receipt_{i + 1:02d}.jpg", "receipt", quality=60)
    # a phone photo of a document on a desk
    for i in range(4):
        bg = Image.new("RGB", (1600, 1200), rng.choice([(120, 85, 60), (90, 90, 95)]))
        doc = scan_doc().resize((700, 990)).rotate(rng.uniform(-12, 12), expand=True, fillcolor=bg.getpixel((0, 0)))
        bg.paste(doc, (450, 100))
        save(jpeg_degrade(bg.filter(ImageFilter.GaussianBlur(1)), 80), f"Camera/IMG_{2200 + i}.jpg", "photo_of_document", quality=85)

    # ---- memes
    captions = [("WHEN THE CODE", "WORKS FIRST TRY"), ("ONE DOES NOT SIMPLY", "CLEAN THEIR DOWNLOADS"),
                ("ME ON MONDAY", "NOBODY:"), ("I HAVE NO IDEA", "WHAT I'M DOING"), ("THAT FACE WHEN", "THE WIFI DROPS"),
                ("Y U NO", "BACKUP PHOTOS"), ("SUCH WOW", "VERY MEME"), ("BRACE YOURSELVES", "MEETINGS ARE COMING"),
                ("NOT SURE IF TIRED", "OR JUST LAZY"), ("KEEP CALM", "AND SORT PICTURES"), ("IT'S FRIDAY", "THEN"),
                ("CAT LOGIC", "IF IT FITS I SITS")]
    bases = [photo(SK / "chelsea.png"), photo(SK / "astronaut.png"), photo(SK / "coffee.png")] + \
            [photo(p) for p in lfw_s[:5]] + [photo(p) for p in cifar[:4]]
    memes = []
    for i, (t, b) in enumerate(captions):
        m = meme(bases[i], t, b)
        memes.append(save(m, f"WhatsApp Images/IMG-2023050{i % 9 + 1}-WA00{i + 10:02d}.jpg", "meme", quality=82))
    # same meme at two sizes
    m0 = Image.open(memes[0])
    save(m0.resize((400, int(400 * m0.height / m0.width)), Image.LANCZOS), "Downloads/meme_small.jpg", "copy:resized_of:" + str(memes[0].relative_to(PILE)), quality=70)
    m3 = Image.open(memes[3])
    save(m3.resize((1200, int(1200 * m3.height / m3.width)), Image.LANCZOS), "Downloads/funny.png", "copy:enlarged_png_of:" + str(memes[3].relative_to(PILE)))

    # ---- real photos: faces (LFW), CIFAR enlarged, scikit-image
    for i, p in enumerate(lfw_s[5:60]):
        name = f"WhatsApp Images/IMG-202304{i % 28 + 1:02d}-WA{i:04d}.jpg" if i % 3 == 0 else f"Camera/IMG_{3000 + i}.jpg"
        save(photo(p), name, "face:lfw_stranger", quality=92)
    people = sorted(glob.glob(str(lfw / "people/*")))[:4]
    for person in people:
        for j, p in enumerate(sorted(glob.glob(person + "/*.jpg"))[:6]):
            save(photo(p), f"Camera/{Path(person).name.split('_')[0]}_{j}.jpg", "face:lfw_person:" + Path(person).name, quality=92)
    for i, p in enumerate(cifar[4:104]):
        cls = Path(p).parent.name
        s = rng.choice([256, 320, 400])
        save(photo(p, (s, s)), f"Camera/IMG_{5000 + i}.jpg", "photo:cifar:" + cls, quality=90)
    for p in SKIMAGE:
        im = Image.open(p)
        im = im.convert("RGB")
        save(im, f"Camera/{p.stem}.jpg", "photo:skimage:" + p.stem, quality=92)

    # ---- wallpapers, logos, icons
    for i in range(6):
        W, H = rng.choice([(1920, 1080), (2560, 1440), (1170, 2532)])
        save(wallpaper(W, H), f"Downloads/wallpaper_{i + 1}.jpg", "wallpaper", quality=90)
    for i in range(10):
        s = rng.choice([32, 48, 64, 128, 256, 512])
        save(logo(s, i % 4), f"Downloads/icons/icon_{s}_{i}.png", "logo_icon")
    big_logo = logo(400, 0)
    save(big_logo, "Downloads/company-logo.png", "logo_icon")
    flat = Image.new("RGB", (1200, 630), (255, 255, 255))
    flat.paste(logo(300, 1), (100, 165), logo(300, 1))
    ImageDraw.Draw(flat).text((450, 260), "Acme Cloud", font=font(90, "bold"), fill=(40, 40, 40))
    save(flat, "Downloads/acme-banner.png", "logo_banner")

    # ---- GIFs, WebP, SVG, PDF, zero byte, txt
    frames = [phone_map(360, 640) for _ in range(1)] + [wallpaper(360, 640) for _ in range(2)]
    p = PILE / "Downloads/loading.gif"
    frames[0].save(p, save_all=True, append_images=frames[1:], duration=300, loop=0)
    rec(p, "gif_animated")
    for i in range(2):
        save(meme(photo(rng.choice(lfw_s[60:80])), "REACTION", "GIF").resize((320, 320)).convert("P"), f"Downloads/reaction_{i}.gif", "gif_meme")
    save(photo(SK / "chelsea.png").resize((500, 375)), "Downloads/cat-photo.webp", "photo:webp:chelsea", quality=80)
    (PILE / "Downloads/logo.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><circle cx="50" cy="50" r="40" fill="red"/></svg>')
    rec(PILE / "Downloads/logo.svg", "svg")
    scan_doc().save(PILE / "Downloads/boarding-pass.pdf", "PDF")
    rec(PILE / "Downloads/boarding-pass.pdf", "pdf")
    (PILE / "Downloads/image(3).jpg").write_bytes(b"")
    rec(PILE / "Downloads/image(3).jpg", "zero_byte")
    (PILE / "Downloads/notes.txt").write_text("shopping list\n")
    rec(PILE / "Downloads/notes.txt", "txt")
    # truncated JPEG (interrupted download)
    data = (PILE / "Camera/IMG_5000.jpg").read_bytes()
    (PILE / "Downloads/IMG_5000 (partial).jpg").write_bytes(data[: len(data) // 2])
    rec(PILE / "Downloads/IMG_5000 (partial).jpg", "truncated_jpeg")

    manifest = PILE.parent / f"{PILE.name}-manifest.csv"
    with open(manifest, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "kind"])
        w.writerows(MANIFEST)
    print(len(MANIFEST), "files; what each is:", manifest)


def score(workspace: Path, manifest: Path) -> None:
    """The review's findings of each kind, by what the flagged files really are (pages and screens
    against photos and the rest), and the copy groups' members that are no copies of their kept one."""
    import pandas as pd

    import imgorg

    truth = pd.read_csv(manifest).set_index("path")["kind"]
    found = imgorg.load_workspace(workspace).review()
    page = ("phone_screenshot", "desktop_screenshot", "scan_document", "receipt")
    found["really"] = found["path"].map(truth).fillna("")
    found["page"] = found["really"].str.startswith(page)
    table = found[found["action"] != "keep"].groupby("kind").agg(findings=("id", "size"), pages_and_screens=("page", "sum"))
    print(table.to_string())
    copies = found[(found["kind"] == "copy") & (found["action"] != "keep")]
    planted = copies["really"].str.startswith("copy:")
    print(f"copies to remove: {len(copies)}, of them planted copies {int(planted.sum())}, others {int((~planted).sum())}")


def main() -> None:
    import argparse

    global PILE
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="what", required=True)
    made = sub.add_parser("build")
    made.add_argument("pile", type=Path)
    made.add_argument("--lfw", type=Path, required=True)
    made.add_argument("--cifar", type=Path, required=True)
    scored = sub.add_parser("score")
    scored.add_argument("workspace", type=Path)
    scored.add_argument("manifest", type=Path)
    args = parser.parse_args()
    if args.what == "build":
        PILE = args.pile
        build(args.lfw, args.cifar)
    else:
        score(args.workspace, args.manifest)


if __name__ == "__main__":
    main()
