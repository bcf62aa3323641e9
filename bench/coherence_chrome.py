"""Site chrome inserted into real pages: how much of it the default pipeline's cleaning steps remove, on one-line
pages (text flattened with spaces, chrome glued into the running text) and with line breaks (chrome on a line of
its own), how much of the host page they keep, and what they take from the same pages untouched.

The chrome is written here from knowledge of real sites (not taken from any data set, not from the held-out
check's generator): 14 site families, 15 languages (en de fr es it pt nl sv fi pl ru id zh ja ar), templates
with prices, counts, dates, user names and categories filled in at random. Host pages: the test half of
bench/coherence_recipes.py's split (web-page main text, register documents; none of them seen by a fitted model
here). Each page gets 2-6 chrome units at random sentence boundaries, in the page's language 70% of the time
(when the family has it), else in any language. A unit counts removed when at least half its characters went;
a host sentence counts kept when less than half went.

Leave one family out: offtopic_sentences' glued-chrome rule is built from per-family phrase lists
(winnow.steps.coherence.CHROME_FAMILIES); ``--lofo`` measures each family with its own phrase list switched off,
so only the other families' phrases and the family-free shape rules (separator trails, prices, counts, dates)
can find it: the figure for chrome of a kind the rules were not written for.

    PYTHONPATH=src .venv/bin/python bench/coherence_chrome.py [--data ../shared/data] [--pages 400] [--lofo]
    PYTHONPATH=src .venv/bin/python bench/coherence_chrome.py --speed   # docs/s per core, tier lexical, 5 KB
    PYTHONPATH=src .venv/bin/python bench/coherence_chrome.py --speed --offtopic-only   # the step alone
    PYTHONPATH=src .venv/bin/python bench/coherence_chrome.py --families stop24 [--lofo] [--lolo]
    PYTHONPATH=src .venv/bin/python bench/coherence_chrome.py --families stop25   # stop 25's test families

``--speed``: offtopic_sentences then stitched_document (tier lexical) on the pages with chrome cut to 5,000 bytes
(one line and with breaks as built), CPU time of this process; run it under the code before and after a change
in one shell line (PYTHONPATH of each) to compare on a shared machine.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import re
import sys
import time

from winnow.sentences import sentence_spans

sys.path.insert(0, os.path.dirname(__file__))
from coherence_inserted import frac, removed_mask  # noqa: E402
from coherence_recipes import load  # noqa: E402

LANGS = ("en", "de", "fr", "es", "it", "pt", "nl", "sv", "fi", "pl", "ru", "id", "zh", "ja", "ar")

# Fillers per language: category words, months, "by" for bylines. Names and user names are language-free.
CATS = {
    "en": "News|Travel|Health|Recipes|Sports|Tech|Garden|Reviews|Guides|Fashion",
    "de": "Aktuelles|Reisen|Gesundheit|Rezepte|Sport|Technik|Garten|Ratgeber|Mode|Wirtschaft",
    "fr": "Actualités|Voyage|Santé|Recettes|Sport|High-tech|Jardin|Conseils|Mode|Économie",
    "es": "Noticias|Viajes|Salud|Recetas|Deportes|Tecnología|Jardín|Consejos|Moda|Economía",
    "it": "Notizie|Viaggi|Salute|Ricette|Sport|Tecnologia|Giardino|Consigli|Moda|Economia",
    "pt": "Notícias|Viagens|Saúde|Receitas|Esportes|Tecnologia|Jardim|Dicas|Moda|Economia",
    "nl": "Nieuws|Reizen|Gezondheid|Recepten|Sport|Techniek|Tuin|Tips|Mode|Economie",
    "sv": "Nyheter|Resor|Hälsa|Recept|Sport|Teknik|Trädgård|Tips|Mode|Ekonomi",
    "fi": "Uutiset|Matkailu|Terveys|Reseptit|Urheilu|Tekniikka|Puutarha|Vinkit|Muoti|Talous",
    "pl": "Aktualności|Podróże|Zdrowie|Przepisy|Sport|Technologia|Ogród|Porady|Moda|Gospodarka",
    "ru": "Новости|Путешествия|Здоровье|Рецепты|Спорт|Технологии|Сад|Советы|Мода|Экономика",
    "id": "Berita|Wisata|Kesehatan|Resep|Olahraga|Teknologi|Kebun|Tips|Fashion|Ekonomi",
    "zh": "新闻|旅游|健康|食谱|体育|科技|园艺|攻略|时尚|财经",
    "ja": "ニュース|旅行|健康|レシピ|スポーツ|テクノロジー|ガーデン|コラム|ファッション|経済",
    "ar": "أخبار|سفر|صحة|وصفات|رياضة|تقنية|حديقة|نصائح|موضة|اقتصاد",
}
MONTHS = {
    "en": "January|March|May|June|August|October|December", "de": "Januar|März|Mai|Juni|August|Oktober|Dezember",
    "fr": "janvier|mars|mai|juin|août|octobre|décembre", "es": "enero|marzo|mayo|junio|agosto|octubre|diciembre",
    "it": "gennaio|marzo|maggio|giugno|agosto|ottobre|dicembre", "pt": "janeiro|março|maio|junho|agosto|outubro",
    "nl": "januari|maart|mei|juni|augustus|oktober", "sv": "januari|mars|maj|juni|augusti|oktober",
    "fi": "tammikuuta|maaliskuuta|toukokuuta|kesäkuuta|elokuuta", "pl": "stycznia|marca|maja|czerwca|sierpnia",
    "ru": "января|марта|мая|июня|августа|октября", "id": "Januari|Maret|Mei|Juni|Agustus|Oktober",
    "ar": "يناير|مارس|مايو|يونيو|أغسطس|أكتوبر",
}
USERS = "mike_77|Anna K.|jsmith|Sandra|admin|Redaktion|ninja2000|Paula_R|DrWho|kasia88|Олег|budi_s|小王|たなか|Ahmed".split("|")
NAMES = "Maria Lopez|John Carter|Julia Schmidt|Pierre Martin|Anna Rossi|Jan de Vries|Erik Lund|Pekka Virtanen|" \
        "Anna Nowak|Ivan Petrov|Dewi Lestari|Li Wei|Sato Yuki|Omar Haddad".split("|")

# Each family: {language: [template, ...]}. Fields: {n} 1-99, {N} 100-9999, {price}, {date}, {time}, {user},
# {name}, {cat}, {cat2}, {k} 2-20.
FAMILIES: dict[str, dict[str, list[str]]] = {
    "shop": {
        "en": ["{price} Add to cart", "Add to basket | Add to wishlist", "In stock - ships within 24 hours",
               "Only {n} left in stock", "Free delivery on orders over {price}", "SKU: {N} | Category: {cat}",
               "Buy now {price}", "Out of stock Notify me when available", "Qty: 1 Add to bag"],
        "de": ["{price} In den Warenkorb", "Auf Lager, Lieferzeit 1-3 Werktage", "inkl. MwSt. zzgl. Versandkosten",
               "Artikelnummer: {N} Kategorie: {cat}", "Jetzt kaufen {price}", "Auf den Merkzettel"],
        "fr": ["{price} Ajouter au panier", "En stock, expédié sous 24h", "Livraison offerte dès {price} d'achat",
               "Référence : {N} | Catégorie : {cat}", "Acheter maintenant", "Ajouter à ma liste d'envies"],
        "es": ["{price} Añadir al carrito", "En stock, envío en 24 horas", "Envío gratis a partir de {price}",
               "Referencia: {N} Categoría: {cat}", "Comprar ahora {price}", "Añadir a la lista de deseos"],
        "it": ["{price} Aggiungi al carrello", "Disponibile, spedizione in 24 ore", "Spedizione gratuita da {price}",
               "Codice articolo: {N}", "Acquista ora", "Aggiungi alla lista dei desideri"],
        "pt": ["{price} Adicionar ao carrinho", "Em estoque, frete grátis acima de {price}", "Comprar agora",
               "Código: {N} | Categoria: {cat}", "Adicionar à lista de desejos"],
        "nl": ["{price} In winkelwagen", "Op voorraad, morgen in huis", "Gratis verzending vanaf {price}",
               "Artikelnummer: {N}", "Nu kopen", "Op verlanglijst"],
        "sv": ["{price} Lägg i varukorgen", "I lager, leverans 1-3 dagar", "Fri frakt över {price}",
               "Artikelnummer: {N}", "Köp nu"],
        "fi": ["{price} Lisää ostoskoriin", "Varastossa, toimitus 1-3 arkipäivää", "Ilmainen toimitus yli {price}",
               "Tuotenumero: {N}", "Osta nyt"],
        "pl": ["{price} Dodaj do koszyka", "Dostępny, wysyłka w 24 godziny", "Darmowa dostawa od {price}",
               "Kod produktu: {N}", "Kup teraz"],
        "ru": ["{price} Добавить в корзину", "В наличии, доставка 1-3 дня", "Бесплатная доставка от {price}",
               "Артикул: {N}", "Купить в один клик"],
        "id": ["{price} Tambah ke keranjang", "Stok tersedia, gratis ongkir", "Beli sekarang {price}",
               "Kode produk: {N}"],
        "zh": ["{price} 加入购物车", "立即购买", "有货，24小时内发货", "商品编号：{N}", "满{N}元包邮"],
        "ja": ["{price} カートに入れる", "今すぐ購入", "在庫あり 24時間以内に発送", "商品番号：{N}", "送料無料"],
        "ar": ["{price} أضف إلى السلة", "اشتر الآن", "متوفر في المخزون", "شحن مجاني للطلبات فوق {price}"],
    },
    "reviews": {
        "en": ["★★★★☆ {n} reviews", "4.{n} out of 5 stars ({N} ratings)", "Write a review", "Rated {n}/10 by users",
               "Was this review helpful? Yes (3) No (1)"],
        "de": ["★★★★☆ {n} Bewertungen", "Bewertung schreiben", "4,5 von 5 Sternen ({N} Bewertungen)"],
        "fr": ["★★★★☆ {n} avis", "Donnez votre avis", "4,5 sur 5 étoiles ({N} avis)"],
        "es": ["★★★★☆ {n} opiniones", "Escribe una opinión", "4,5 de 5 estrellas ({N} valoraciones)"],
        "it": ["★★★★☆ {n} recensioni", "Scrivi una recensione"],
        "pt": ["★★★★☆ {n} avaliações", "Escreva uma avaliação"],
        "nl": ["★★★★☆ {n} beoordelingen", "Schrijf een review"],
        "sv": ["★★★★☆ {n} recensioner", "Skriv en recension"],
        "fi": ["★★★★☆ {n} arvostelua", "Kirjoita arvostelu"],
        "pl": ["★★★★☆ {n} opinii", "Napisz opinię"],
        "ru": ["★★★★☆ {n} отзывов", "Оставить отзыв"],
        "id": ["★★★★☆ {n} ulasan", "Tulis ulasan"],
        "zh": ["★★★★☆ {n}条评价", "写评价"],
        "ja": ["★★★★☆ レビュー{n}件", "レビューを書く"],
        "ar": ["★★★★☆ {n} تقييمات", "اكتب مراجعة"],
    },
    "forum_header": {
        "en": ["Posted by {user} on {date}, {time}", "Re: {cat} question", "#{n} {user} Senior Member",
               "Quote from: {user} on {date}", "Joined: {date} Posts: {N}", "{user} wrote:",
               "Originally Posted by {user}", "Reply #{n} on: {date}"],
        "de": ["Beitrag von {user} » {date} {time}", "Zitat von {user}", "Registriert seit: {date} Beiträge: {N}",
               "{user} schrieb:", "Mitglied seit {date}"],
        "fr": ["Message par {user} » {date} {time}", "{user} a écrit :", "Inscrit le : {date} Messages : {N}",
               "Citation de {user}"],
        "es": ["Mensaje de {user} » {date} {time}", "{user} escribió:", "Registrado: {date} Mensajes: {N}",
               "Cita de {user}"],
        "it": ["Messaggio da {user} » {date} {time}", "{user} ha scritto:", "Iscritto il: {date} Messaggi: {N}"],
        "pt": ["Mensagem por {user} » {date} {time}", "{user} escreveu:", "Registrado em: {date} Mensagens: {N}"],
        "nl": ["Bericht door {user} » {date} {time}", "{user} schreef:", "Lid sinds: {date} Berichten: {N}"],
        "sv": ["Inlägg av {user} » {date} {time}", "{user} skrev:", "Medlem sedan: {date} Inlägg: {N}"],
        "fi": ["Viesti käyttäjältä {user} » {date} {time}", "{user} kirjoitti:", "Liittynyt: {date} Viestejä: {N}"],
        "pl": ["Post autorstwa {user} » {date} {time}", "{user} napisał:", "Dołączył: {date} Posty: {N}"],
        "ru": ["Сообщение {user} » {date} {time}", "{user} писал(а):", "Зарегистрирован: {date} Сообщений: {N}"],
        "id": ["Dikirim oleh {user} » {date} {time}", "{user} menulis:", "Bergabung: {date} Pesan: {N}"],
        "zh": ["发表于 {date} {time}", "{user} 发表于 {date}", "注册时间：{date} 帖子：{N}", "楼主 {user}"],
        "ja": ["投稿者：{user} 投稿日：{date} {time}", "{user}さんの投稿", "登録日：{date} 投稿数：{N}"],
        "ar": ["مشاركة بواسطة {user} » {date} {time}", "{user} كتب:", "تاريخ التسجيل: {date} المشاركات: {N}"],
    },
    "forum_footer": {
        "en": ["Reply Quote Report", "Like ({n}) Reply Share", "Last edited by {user}; {date} at {time}.",
               "Back to top", "Report this post", "Thanks x {n}", "Top Reply with quote"],
        "de": ["Antworten Zitieren Melden", "Zuletzt bearbeitet von {user} am {date}", "Nach oben",
               "Beitrag melden", "Gefällt mir ({n})"],
        "fr": ["Répondre Citer Signaler", "Dernière édition par {user} le {date}", "Haut de page",
               "Signaler ce message"],
        "es": ["Responder Citar Reportar", "Última edición por {user} el {date}", "Volver arriba",
               "Reportar mensaje"],
        "it": ["Rispondi Cita Segnala", "Ultima modifica di {user} il {date}", "Torna in cima"],
        "pt": ["Responder Citar Denunciar", "Última edição por {user} em {date}", "Voltar ao topo"],
        "nl": ["Reageren Citeren Melden", "Laatst bewerkt door {user} op {date}", "Terug naar boven"],
        "sv": ["Svara Citera Anmäl", "Senast redigerad av {user} {date}", "Till toppen"],
        "fi": ["Vastaa Lainaa Ilmoita", "Viimeksi muokannut {user} {date}", "Takaisin ylös"],
        "pl": ["Odpowiedz Cytuj Zgłoś", "Ostatnio edytowany przez {user} {date}", "Powrót do góry"],
        "ru": ["Ответить Цитировать Пожаловаться", "Последний раз редактировалось {user} {date}", "Наверх"],
        "id": ["Balas Kutip Laporkan", "Terakhir diubah oleh {user} {date}", "Kembali ke atas"],
        "zh": ["回复 引用 举报", "最后编辑于 {date}", "返回顶部", "支持({n}) 反对({n})"],
        "ja": ["返信 引用 通報", "最終編集：{date}", "ページの先頭へ"],
        "ar": ["رد اقتباس إبلاغ", "آخر تعديل بواسطة {user} {date}", "العودة إلى الأعلى"],
    },
    "cookie": {
        "en": ["We use cookies to improve your experience on our website. Accept all Reject",
               "This site uses cookies. By continuing to browse you agree to our use of cookies. OK",
               "Cookie settings Accept", "We value your privacy Manage preferences Accept all"],
        "de": ["Wir verwenden Cookies, um Ihnen das beste Nutzererlebnis zu bieten. Alle akzeptieren Ablehnen",
               "Diese Website verwendet Cookies. Einstellungen Akzeptieren", "Cookie-Einstellungen Alle ablehnen"],
        "fr": ["Nous utilisons des cookies pour améliorer votre expérience. Tout accepter Refuser",
               "Ce site utilise des cookies. En poursuivant votre navigation, vous acceptez leur utilisation. OK",
               "Paramètres des cookies Accepter"],
        "es": ["Utilizamos cookies para mejorar tu experiencia. Aceptar todas Rechazar",
               "Este sitio web utiliza cookies. Al continuar navegando acepta su uso. Aceptar",
               "Configuración de cookies Aceptar"],
        "it": ["Utilizziamo i cookie per migliorare la tua esperienza. Accetta tutti Rifiuta",
               "Questo sito utilizza cookie. Continuando la navigazione accetti l'uso dei cookie. OK",
               "Impostazioni cookie Accetta"],
        "pt": ["Utilizamos cookies para melhorar a sua experiência. Aceitar todos Recusar",
               "Este site utiliza cookies. Ao continuar a navegar, concorda com a sua utilização. OK"],
        "nl": ["Wij gebruiken cookies om uw ervaring te verbeteren. Alles accepteren Weigeren",
               "Deze website maakt gebruik van cookies. Akkoord"],
        "sv": ["Vi använder cookies för att ge dig en bättre upplevelse. Godkänn alla Neka",
               "Denna webbplats använder kakor. Jag förstår"],
        "fi": ["Käytämme evästeitä parantaaksemme käyttökokemustasi. Hyväksy kaikki Hylkää",
               "Tämä sivusto käyttää evästeitä. Selvä"],
        "pl": ["Używamy plików cookie, aby zapewnić najlepsze wrażenia. Akceptuję Odrzuć",
               "Ta strona korzysta z ciasteczek. Zgadzam się"],
        "ru": ["Мы используем файлы cookie для улучшения работы сайта. Принять Отклонить",
               "Этот сайт использует cookie. Продолжая, вы соглашаетесь с их использованием. OK"],
        "id": ["Kami menggunakan cookie untuk meningkatkan pengalaman Anda. Terima Tolak",
               "Situs ini menggunakan cookie. Setuju"],
        "zh": ["本网站使用cookie以改善您的浏览体验。接受 拒绝", "我们使用Cookie。继续浏览即表示您同意。确定"],
        "ja": ["当サイトではクッキーを使用しています。同意する 拒否する", "Cookieの設定 すべて許可"],
        "ar": ["نستخدم ملفات تعريف الارتباط لتحسين تجربتك. قبول رفض", "هذا الموقع يستخدم الكوكيز. موافق"],
    },
    "share": {
        "en": ["Share on Facebook Share on Twitter Pin it", "Share this: Facebook Twitter LinkedIn Email",
               "Tweet Share Pin Email", "Share {N} shares", "Print Email Share"],
        "de": ["Auf Facebook teilen Auf Twitter teilen", "Teilen: Facebook Twitter WhatsApp E-Mail",
               "Drucken Teilen Merken"],
        "fr": ["Partager sur Facebook Partager sur Twitter", "Partager : Facebook Twitter E-mail",
               "Imprimer Partager"],
        "es": ["Compartir en Facebook Compartir en Twitter", "Compartir: Facebook Twitter WhatsApp",
               "Imprimir Compartir"],
        "it": ["Condividi su Facebook Condividi su Twitter", "Condividi: Facebook Twitter WhatsApp"],
        "pt": ["Compartilhar no Facebook Compartilhar no Twitter", "Partilhar: Facebook Twitter WhatsApp"],
        "nl": ["Delen op Facebook Delen op Twitter", "Deel dit: Facebook Twitter WhatsApp"],
        "sv": ["Dela på Facebook Dela på Twitter", "Dela: Facebook Twitter E-post"],
        "fi": ["Jaa Facebookissa Jaa Twitterissä", "Jaa: Facebook Twitter WhatsApp"],
        "pl": ["Udostępnij na Facebooku Udostępnij na Twitterze", "Udostępnij: Facebook Twitter"],
        "ru": ["Поделиться ВКонтакте Facebook Telegram", "Поделиться: ВКонтакте Одноклассники"],
        "id": ["Bagikan ke Facebook Bagikan ke Twitter", "Bagikan: Facebook Twitter WhatsApp"],
        "zh": ["分享到：微信 微博 QQ空间", "分享到微博 分享到微信"],
        "ja": ["シェアする ツイート LINEで送る", "この記事をシェア Twitter Facebook はてブ"],
        "ar": ["شارك على فيسبوك شارك على تويتر", "مشاركة: فيسبوك تويتر واتساب"],
    },
    "breadcrumb": {
        "en": ["Home > {cat} > {cat2}", "Home » {cat} » {cat2}", "You are here: Home / {cat}", "Home › {cat}"],
        "de": ["Startseite > {cat} > {cat2}", "Sie sind hier: Startseite » {cat}", "Home / {cat} / {cat2}"],
        "fr": ["Accueil > {cat} > {cat2}", "Vous êtes ici : Accueil » {cat}", "Accueil / {cat}"],
        "es": ["Inicio > {cat} > {cat2}", "Usted está aquí: Inicio » {cat}", "Portada / {cat}"],
        "it": ["Home > {cat} > {cat2}", "Ti trovi qui: Home » {cat}"],
        "pt": ["Início > {cat} > {cat2}", "Você está aqui: Página inicial » {cat}"],
        "nl": ["Home > {cat} > {cat2}", "U bent hier: Home » {cat}"],
        "sv": ["Startsida > {cat} > {cat2}", "Du är här: Hem » {cat}"],
        "fi": ["Etusivu > {cat} > {cat2}", "Olet tässä: Etusivu » {cat}"],
        "pl": ["Strona główna > {cat} > {cat2}", "Jesteś tutaj: Strona główna » {cat}"],
        "ru": ["Главная > {cat} > {cat2}", "Главная / {cat} / {cat2}"],
        "id": ["Beranda > {cat} > {cat2}", "Beranda » {cat}"],
        "zh": ["首页 > {cat} > {cat2}", "当前位置：首页 > {cat}"],
        "ja": ["ホーム > {cat} > {cat2}", "トップページ > {cat}"],
        "ar": ["الرئيسية > {cat} > {cat2}", "الرئيسية » {cat}"],
    },
    "pagination": {
        "en": ["Page {n} of {k}", "« Previous 1 2 3 4 Next »", "Showing 1-{k} of {N} results",
               "Older posts Newer posts", "Load more", "First Prev 1 2 3 Next Last"],
        "de": ["Seite {n} von {k}", "« Zurück 1 2 3 Weiter »", "Ältere Beiträge Neuere Beiträge",
               "Mehr laden"],
        "fr": ["Page {n} sur {k}", "« Précédent 1 2 3 Suivant »", "Articles plus anciens", "Voir plus"],
        "es": ["Página {n} de {k}", "« Anterior 1 2 3 Siguiente »", "Entradas anteriores", "Cargar más"],
        "it": ["Pagina {n} di {k}", "« Precedente 1 2 3 Successivo »", "Articoli meno recenti"],
        "pt": ["Página {n} de {k}", "« Anterior 1 2 3 Próximo »", "Posts mais antigos"],
        "nl": ["Pagina {n} van {k}", "« Vorige 1 2 3 Volgende »", "Oudere berichten"],
        "sv": ["Sida {n} av {k}", "« Föregående 1 2 3 Nästa »", "Äldre inlägg"],
        "fi": ["Sivu {n}/{k}", "« Edellinen 1 2 3 Seuraava »", "Vanhemmat artikkelit"],
        "pl": ["Strona {n} z {k}", "« Poprzednia 1 2 3 Następna »", "Starsze wpisy"],
        "ru": ["Страница {n} из {k}", "« Назад 1 2 3 Вперёд »", "Показать ещё"],
        "id": ["Halaman {n} dari {k}", "« Sebelumnya 1 2 3 Berikutnya »", "Muat lebih banyak"],
        "zh": ["第{n}页 共{k}页", "上一页 1 2 3 下一页", "加载更多"],
        "ja": ["{n} / {k} ページ", "« 前へ 1 2 3 次へ »", "もっと見る"],
        "ar": ["صفحة {n} من {k}", "« السابق 1 2 3 التالي »"],
    },
    "newsletter": {
        "en": ["Subscribe to our newsletter Enter your email Subscribe",
               "Get the latest news delivered to your inbox. Sign up", "Join {N} subscribers. No spam, ever."],
        "de": ["Newsletter abonnieren Ihre E-Mail-Adresse Anmelden",
               "Verpassen Sie keine Neuigkeiten mehr: Jetzt zum Newsletter anmelden"],
        "fr": ["Inscrivez-vous à notre newsletter Votre adresse e-mail S'inscrire",
               "Recevez nos actualités directement dans votre boîte mail."],
        "es": ["Suscríbete a nuestro boletín Tu correo electrónico Suscribirse",
               "Recibe las últimas noticias en tu correo."],
        "it": ["Iscriviti alla nostra newsletter La tua email Iscriviti",
               "Ricevi le ultime notizie nella tua casella di posta."],
        "pt": ["Assine nossa newsletter Seu e-mail Inscrever-se", "Receba as novidades no seu e-mail."],
        "nl": ["Schrijf je in voor onze nieuwsbrief Je e-mailadres Aanmelden",
               "Ontvang het laatste nieuws in je inbox."],
        "sv": ["Prenumerera på vårt nyhetsbrev Din e-postadress Prenumerera",
               "Få de senaste nyheterna direkt i din inkorg."],
        "fi": ["Tilaa uutiskirjeemme Sähköpostiosoitteesi Tilaa", "Saat uusimmat uutiset sähköpostiisi."],
        "pl": ["Zapisz się do newslettera Twój e-mail Zapisz się", "Otrzymuj najnowsze wiadomości na e-mail."],
        "ru": ["Подпишитесь на нашу рассылку Ваш e-mail Подписаться", "Получайте свежие новости на почту."],
        "id": ["Berlangganan newsletter kami Email Anda Berlangganan", "Dapatkan berita terbaru di email Anda."],
        "zh": ["订阅我们的新闻邮件 输入您的邮箱 订阅", "订阅最新资讯"],
        "ja": ["ニュースレターを購読する メールアドレス 登録", "最新情報をメールでお届けします"],
        "ar": ["اشترك في نشرتنا البريدية بريدك الإلكتروني اشترك", "احصل على آخر الأخبار في بريدك"],
    },
    "account": {
        "en": ["My account Log in Register", "Sign in | Create an account", "Cart (0) Wishlist (0) Log in",
               "Log out My profile Settings", "Forgot your password?"],
        "de": ["Mein Konto Anmelden Registrieren", "Einloggen | Konto erstellen", "Warenkorb (0) Merkzettel",
               "Passwort vergessen?"],
        "fr": ["Mon compte Se connecter S'inscrire", "Connexion | Créer un compte", "Panier (0) Mes favoris",
               "Mot de passe oublié ?"],
        "es": ["Mi cuenta Iniciar sesión Registrarse", "Acceder | Crear una cuenta", "Carrito (0) Favoritos",
               "¿Olvidaste tu contraseña?"],
        "it": ["Il mio account Accedi Registrati", "Accedi | Crea un account", "Carrello (0)"],
        "pt": ["Minha conta Entrar Cadastre-se", "Entrar | Criar conta", "Carrinho (0)"],
        "nl": ["Mijn account Inloggen Registreren", "Inloggen | Account aanmaken", "Winkelwagen (0)"],
        "sv": ["Mitt konto Logga in Registrera dig", "Logga in | Skapa konto", "Varukorg (0)"],
        "fi": ["Oma tili Kirjaudu sisään Rekisteröidy", "Kirjaudu | Luo tili", "Ostoskori (0)"],
        "pl": ["Moje konto Zaloguj się Zarejestruj się", "Zaloguj | Załóż konto", "Koszyk (0)"],
        "ru": ["Личный кабинет Войти Регистрация", "Вход | Регистрация", "Корзина (0)"],
        "id": ["Akun saya Masuk Daftar", "Masuk | Buat akun", "Keranjang (0)"],
        "zh": ["我的账户 登录 注册", "登录 | 免费注册", "购物车(0)"],
        "ja": ["マイページ ログイン 新規会員登録", "ログイン | 会員登録", "カート(0)"],
        "ar": ["حسابي تسجيل الدخول إنشاء حساب", "دخول | تسجيل", "سلة التسوق (0)"],
    },
    "related": {
        "en": ["Related posts", "You may also like", "Read next", "More from {cat}", "Recommended for you"],
        "de": ["Ähnliche Beiträge", "Das könnte Sie auch interessieren", "Mehr zum Thema {cat}"],
        "fr": ["Articles similaires", "À lire aussi", "Vous aimerez aussi", "Plus d'articles {cat}"],
        "es": ["Artículos relacionados", "También te puede interesar", "Lee también"],
        "it": ["Articoli correlati", "Potrebbe interessarti anche", "Leggi anche"],
        "pt": ["Posts relacionados", "Você também pode gostar", "Leia também"],
        "nl": ["Gerelateerde berichten", "Dit vind je misschien ook leuk", "Lees ook"],
        "sv": ["Relaterade inlägg", "Du kanske också gillar", "Läs också"],
        "fi": ["Aiheeseen liittyvät", "Saatat pitää myös näistä", "Lue myös"],
        "pl": ["Podobne wpisy", "Może cię też zainteresować", "Czytaj także"],
        "ru": ["Похожие статьи", "Вам также может понравиться", "Читайте также"],
        "id": ["Artikel terkait", "Anda mungkin juga suka", "Baca juga"],
        "zh": ["相关文章", "猜你喜欢", "推荐阅读"],
        "ja": ["関連記事", "こちらの記事もおすすめ", "あわせて読みたい"],
        "ar": ["مقالات ذات صلة", "قد يعجبك أيضا", "اقرأ أيضا"],
    },
    "comments": {
        "en": ["{n} comments", "No comments yet", "{n} Responses", "Leave a comment", "Comments ({n})",
               "View all {n} comments"],
        "de": ["{n} Kommentare", "Noch keine Kommentare", "Kommentar schreiben", "Kommentare ({n})"],
        "fr": ["{n} commentaires", "Aucun commentaire", "Laisser un commentaire", "Commentaires ({n})"],
        "es": ["{n} comentarios", "Sin comentarios", "Deja un comentario", "Comentarios ({n})"],
        "it": ["{n} commenti", "Nessun commento", "Lascia un commento"],
        "pt": ["{n} comentários", "Sem comentários", "Deixe um comentário"],
        "nl": ["{n} reacties", "Geen reacties", "Laat een reactie achter"],
        "sv": ["{n} kommentarer", "Inga kommentarer", "Lämna en kommentar"],
        "fi": ["{n} kommenttia", "Ei kommentteja", "Kommentoi"],
        "pl": ["{n} komentarzy", "Brak komentarzy", "Dodaj komentarz"],
        "ru": ["{n} комментариев", "Нет комментариев", "Оставить комментарий"],
        "id": ["{n} komentar", "Belum ada komentar", "Tinggalkan komentar"],
        "zh": ["{n}条评论", "暂无评论", "发表评论"],
        "ja": ["コメント{n}件", "コメントはまだありません", "コメントする"],
        "ar": ["{n} تعليقات", "لا توجد تعليقات", "اترك تعليقا"],
    },
    "byline": {
        "en": ["Posted on {date} by {name}", "By {name} | {date}", "Published {date}, updated {time}",
               "{date} • {n} min read", "Written by {name} in {cat}"],
        "de": ["Veröffentlicht am {date} von {name}", "Von {name} | {date}", "{date} • Lesezeit {n} Min.",
               "Aktualisiert am {date}, {time} Uhr"],
        "fr": ["Publié le {date} par {name}", "Par {name} | {date}", "Mis à jour le {date} à {time}",
               "Temps de lecture : {n} min"],
        "es": ["Publicado el {date} por {name}", "Por {name} | {date}", "Actualizado el {date}",
               "Tiempo de lectura: {n} min"],
        "it": ["Pubblicato il {date} da {name}", "Di {name} | {date}", "Aggiornato il {date}"],
        "pt": ["Publicado em {date} por {name}", "Por {name} | {date}", "Atualizado em {date}"],
        "nl": ["Geplaatst op {date} door {name}", "Door {name} | {date}", "Bijgewerkt op {date}"],
        "sv": ["Publicerad {date} av {name}", "Av {name} | {date}", "Uppdaterad {date}"],
        "fi": ["Julkaistu {date} | {name}", "Kirjoittaja: {name} | {date}", "Päivitetty {date}"],
        "pl": ["Opublikowano {date} przez {name}", "Autor: {name} | {date}", "Aktualizacja: {date}"],
        "ru": ["Опубликовано {date} автором {name}", "Автор: {name} | {date}", "Обновлено {date}"],
        "id": ["Diposting pada {date} oleh {name}", "Oleh {name} | {date}", "Diperbarui {date}"],
        "zh": ["发布时间：{date} 作者：{name}", "{date} 来源：{cat}", "阅读 {N}"],
        "ja": ["投稿日：{date} 投稿者：{name}", "{date} 更新", "公開日：{date}"],
        "ar": ["نشر في {date} بواسطة {name}", "بقلم {name} | {date}"],
    },
    "tags": {
        "en": ["Tags: {cat}, {cat2}", "Filed under: {cat}, {cat2}", "Categories: {cat} | Tags: {cat2}"],
        "de": ["Schlagwörter: {cat}, {cat2}", "Kategorie: {cat} Tags: {cat2}", "Themen: {cat}, {cat2}"],
        "fr": ["Étiquettes : {cat}, {cat2}", "Catégorie : {cat} Mots-clés : {cat2}"],
        "es": ["Etiquetas: {cat}, {cat2}", "Categoría: {cat} Etiquetas: {cat2}"],
        "it": ["Tag: {cat}, {cat2}", "Categoria: {cat} Tag: {cat2}"],
        "pt": ["Tags: {cat}, {cat2}", "Marcadores: {cat}, {cat2}"],
        "nl": ["Tags: {cat}, {cat2}", "Categorie: {cat} Trefwoorden: {cat2}"],
        "sv": ["Taggar: {cat}, {cat2}", "Kategori: {cat} Etiketter: {cat2}"],
        "fi": ["Avainsanat: {cat}, {cat2}", "Kategoria: {cat} Tagit: {cat2}"],
        "pl": ["Tagi: {cat}, {cat2}", "Kategoria: {cat} Tagi: {cat2}"],
        "ru": ["Метки: {cat}, {cat2}", "Рубрика: {cat} Теги: {cat2}"],
        "id": ["Tag: {cat}, {cat2}", "Label: {cat}, {cat2}"],
        "zh": ["标签：{cat} {cat2}", "分类：{cat} 标签：{cat2}"],
        "ja": ["タグ：{cat} {cat2}", "カテゴリー：{cat}"],
        "ar": ["الوسوم: {cat}، {cat2}", "التصنيف: {cat}"],
    },
}

CURRENCIES = {"en": ("${}.99", "£{}.50", "US$ {}.00"), "de": ("{},99 €", "€ {},95", "CHF {}.–"),
              "fr": ("{},99 €", "{} € TTC"), "es": ("{},99 €", "{} €"), "it": ("€ {},90", "{},00 €"),
              "pt": ("R$ {},90", "{},99 €"), "nl": ("€ {},95",), "sv": ("{} kr", "{}:-"), "fi": ("{},90 €",),
              "pl": ("{},99 zł",), "ru": ("{} ₽", "{} руб."), "id": ("Rp {}.000",), "zh": ("¥{}", "￥{}.00"),
              "ja": ("¥{},980", "{}円（税込）"), "ar": ("{} ر.س", "{} درهم")}


def fill(tpl: str, lang: str, rng: random.Random) -> str:
    cats = CATS[lang].split("|")
    months = MONTHS.get(lang, "").split("|")
    d, y = rng.randint(1, 28), rng.randint(2009, 2024)
    dates = [f"{d:02d}.{rng.randint(1, 12):02d}.{y}", f"{y}-{rng.randint(1, 12):02d}-{d:02d}"]
    if lang == "en":
        dates.append(f"{rng.choice(months)} {d}, {y}")
    elif lang in ("zh", "ja"):
        dates = [f"{y}年{rng.randint(1, 12)}月{d}日", f"{y}-{rng.randint(1, 12):02d}-{d:02d}"]
    elif months[0]:
        dates.append(f"{d} {rng.choice(months)} {y}")
    c1, c2 = rng.sample(cats, 2)
    n = rng.randint(1, 19)
    vals = {"n": str(n), "N": str(rng.randint(100, 9999)), "k": str(n + rng.randint(1, 30)),
            "price": rng.choice(CURRENCIES[lang]).format(rng.randint(3, 499)), "date": rng.choice(dates),
            "time": f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}", "user": rng.choice(USERS),
            "name": rng.choice(NAMES), "cat": c1, "cat2": c2}
    return tpl.format(**vals)


# Languages of the host pools (bench/coherence_recipes.py) to chrome languages.
POOL_LANG = {"en/de": ("en", "de")}


def chrome_unit(family: str, page_lang: str, rng: random.Random) -> tuple[str, str]:
    langs = [x for x in POOL_LANG.get(page_lang, (page_lang,)) if x in FAMILIES[family]]
    lang = rng.choice(langs) if langs and rng.random() < 0.7 else rng.choice(sorted(FAMILIES[family]))
    return fill(rng.choice(FAMILIES[family][lang]), lang, rng), lang


def build(pages: dict, n: int, seed: int) -> list[dict]:
    """n host pages (languages in turn), each once with chrome inserted and once untouched, in one layout."""
    rng = random.Random(seed)
    langs = sorted(pages)
    out = []
    for i in range(n):
        lang = langs[i % len(langs)]
        host = rng.choice(pages[lang])
        hs = [" ".join(host[a:b].split()) for a, b in sentence_spans(host)]
        hs = [s for s in hs if s]
        if len(hs) < 6:
            continue
        items = [(s, None) for s in hs[:60]]
        for _ in range(rng.randint(2, 6)):
            fam = rng.choice(sorted(FAMILIES))
            unit, ul = chrome_unit(fam, lang, rng)
            items.insert(rng.randrange(len(items) + 1), (unit, (fam, ul)))
        layout = rng.choice(("line", "breaks"))
        # Line breaks: paragraphs of 1-4 host sentences; a chrome unit always on a line of its own.
        spans, para = [], 0
        text = untouched = ""
        for j, (s, lab) in enumerate(items):
            if text:
                sep = " "
                if layout == "breaks" and (lab or items[j - 1][1] or para >= rng.randint(1, 4)):
                    sep, para = "\n", 0
                text += sep
                if lab is None and untouched:
                    untouched += "\n" if "\n" in sep or items[j - 1][1] else " "
            spans.append((len(text), len(text) + len(s), lab))
            text += s
            if lab is None:
                untouched += s
            para += lab is None
        out.append({"lang": lang, "layout": layout, "text": text, "units": spans, "untouched": untouched})
    return out


def measure(rows: list[dict]) -> dict:
    by = collections.defaultdict(collections.Counter)
    for d in rows:
        mask, _ = removed_mask(d["text"])
        for a, b, lab in d["units"]:
            gone = frac(mask, a, b) >= 0.5
            if lab is None:
                for k in ("all", d["layout"]):
                    by[k]["host"] += 1
                    by[k]["host_kept"] += not gone
            else:
                fam, ul = lab
                for k in ("all", d["layout"], "fam:" + fam, "lang:" + ul, "fam:" + fam + ":" + d["layout"],
                          "lang:" + ul + ":" + d["layout"]):
                    by[k]["chrome"] += 1
                    by[k]["chrome_removed"] += gone
        mask, _ = removed_mask(d["untouched"])
        for a, b in sentence_spans(d["untouched"]):
            for k in ("all", d["layout"]):
                by[k]["sents"] += 1
                by[k]["sents_removed"] += frac(mask, a, b) >= 0.5
    return by


def speed(rows, key="untouched", seconds=15.0, offtopic_only=False):
    from winnow.document import Document
    from winnow.steps.coherence import OfftopicSentences, StitchedDocument

    # As bench/coherence.py measures it: real pages flattened to one line, 5,000 bytes each; then the same
    # pages with the chrome inserted (every one of them edited, so stitched_document analyses each page twice).
    texts = [" ".join(r[key].split()).encode()[:5000].decode(errors="ignore") for r in rows
             if len(r[key].encode()) >= 5000]
    steps = (OfftopicSentences(),) if offtopic_only else (OfftopicSentences(), StitchedDocument(tier="lexical"))
    n, t0 = 0, time.process_time()
    while time.process_time() - t0 < seconds:
        for t in texts[:200]:
            d = Document("x", t)
            for st in steps:
                d = st.process(d)
            n += 1
    return n / (time.process_time() - t0)


def family_file(name: str) -> dict:
    with open(os.path.join(os.path.dirname(__file__), "data", f"chrome_families_{name}.json"), encoding="utf-8") as f:
        return {k: v for k, v in json.load(f).items() if not k.startswith("_")}


def phrase_matcher(texts: list[str], coherence):
    """drop(phrase) for families_off: true when the phrase matches inside one of ``texts`` (a language's filled
    templates), so the language's chrome is found only by what its own wording does not feed."""
    def drop(p: str) -> bool:
        rx = re.compile(coherence._phrase_rx(p)[0], re.IGNORECASE)
        return any(rx.search(t) for t in texts)
    return drop


def summary(label: str, parts: dict) -> str:
    cells = []
    for k in ("all", "line", "breaks"):
        tot = sum(c[k]["chrome"] for c in parts.values())
        rem = sum(c[k]["chrome_removed"] for c in parts.values())
        cells.append(f"{rem / max(1, tot):.1%}")
    tot = sum(c["all"]["chrome"] for c in parts.values())
    return f"| {label} | {tot} | | | **{cells[0]}** | {cells[1]} / {cells[2]} |"


def pct(c, k):
    return f"{c[k + '_removed' if k != 'host' else 'host_kept'] / max(1, c[k]):.1%}"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--pages", type=int, default=400)
    ap.add_argument("--seed", type=int, default=41)
    ap.add_argument("--lofo", action="store_true", help="also each family with its own phrases switched off")
    ap.add_argument("--show", type=int, default=0, help="print this many chrome units that stayed")
    ap.add_argument("--speed", action="store_true", help="only the throughput of the two coherence steps")
    ap.add_argument("--offtopic-only", action="store_true", help="--speed: offtopic_sentences alone, default tier")
    ap.add_argument("--families", default="base", choices=("base", "stop23", "stop24", "stop24_reworded", "stop25"),
                    help="which chrome to insert: this file's 14 families (base), or the families of "
                         "bench/data/chrome_families_<name>.json, which no phrase list of coherence.py was written "
                         "from (stop24's were written before stop 24's rule changes and are its test families)")
    ap.add_argument("--lolo", action="store_true",
                    help="also each chrome language with every phrase of CHROME_FAMILIES that matches one of its "
                         "templates switched off (base families only)")
    args = ap.parse_args(argv)
    global FAMILIES
    if args.families != "base":
        FAMILIES = family_file(args.families)
    pages, _ = load(args.data)
    rows = build(pages["test"], args.pages, args.seed)
    if args.speed:
        if args.offtopic_only:
            print(f"offtopic_sentences alone (defaults), real pages: {speed(rows, offtopic_only=True):.0f} "
                  f"documents/s per core (CPU time); with chrome inserted: {speed(rows, 'text', offtopic_only=True):.0f}")
            return 0
        print(f"tier lexical, real pages: {speed(rows):.0f} documents/s per core (CPU time); "
              f"with chrome inserted: {speed(rows, 'text'):.0f}")
        return 0
    t0 = time.process_time()
    by = measure(rows)
    cpu = time.process_time() - t0
    print(f"{len(rows)} pages, {sum(len(r['units']) for r in rows)} units; {cpu:.0f} CPU s\n")
    print("| layout | chrome units | removed | host sentences kept | untouched sentences removed |")
    print("|---|---|---|---|---|")
    for k in ("all", "line", "breaks"):
        c = by[k]
        print(f"| {k} | {c['chrome']} | {pct(c, 'chrome')} | {pct(c, 'host')} | {pct(c, 'sents')} |")
    from winnow.steps import coherence

    fams = sorted(FAMILIES)
    lofo = {}
    if args.lofo and args.families == "base":
        for fam in fams:
            sub = [dict(r, units=[u for u in r["units"] if u[2] is None or u[2][0] == fam]) for r in rows]
            sub = [r for r in sub if any(u[2] for u in r["units"])]
            with coherence.families_off([fam]):
                lofo[fam] = measure([dict(r, untouched="") for r in sub])
    print("\n| family | units | removed (all rules) | one line / line breaks | removed, own phrases off (left out) "
          "| left out: one line / line breaks |")
    print("|---|---|---|---|---|---|")
    for fam in fams:
        c = by["fam:" + fam]
        lay = " / ".join(pct(by[f"fam:{fam}:{x}"], "chrome") for x in ("line", "breaks"))
        lo = pct(lofo[fam]["all"], "chrome") if fam in lofo else "-"
        lol = " / ".join(pct(lofo[fam][x], "chrome") for x in ("line", "breaks")) if fam in lofo else "-"
        print(f"| {fam} | {c['chrome']} | {pct(c, 'chrome')} | {lay} | {lo} | {lol} |")
    if lofo:
        print(summary("all, each left out", lofo))
    lolo = {}
    if args.lolo and args.families == "base":
        for lang in LANGS:
            texts = [fill(t, lang, random.Random(k)).lower() for f in FAMILIES.values() for t in f.get(lang, ())
                     for k in range(4)]
            sub = [dict(r, units=[u for u in r["units"] if u[2] is None or u[2][1] == lang]) for r in rows]
            sub = [r for r in sub if any(u[2] for u in r["units"])]
            if not sub:
                continue
            with coherence.families_off([], drop=phrase_matcher(texts, coherence)):
                lolo[lang] = measure([dict(r, untouched="") for r in sub])
    print("\n| chrome language | units | removed | one line / line breaks | removed, its phrases off (left out) "
          "| left out: one line / line breaks |\n|---|---|---|---|---|---|")
    for lang in LANGS:
        c = by["lang:" + lang]
        lay = " / ".join(pct(by[f"lang:{lang}:{x}"], "chrome") for x in ("line", "breaks"))
        lo = pct(lolo[lang]["all"], "chrome") if lang in lolo else "-"
        lol = " / ".join(pct(lolo[lang][x], "chrome") for x in ("line", "breaks")) if lang in lolo else "-"
        print(f"| {lang} | {c['chrome']} | {pct(c, 'chrome')} | {lay} | {lo} | {lol} |")
    if lolo:
        print(summary("all, each left out", lolo))
    if args.show:
        rng = random.Random(1)
        missed = []
        for d in rows:
            mask, _ = removed_mask(d["text"])
            missed += [(d["layout"], d["text"][a:b]) for a, b, lab in d["units"] if lab and frac(mask, a, b) < 0.5]
        for x in rng.sample(missed, min(args.show, len(missed))):
            print(x)
    return 0


if __name__ == "__main__":
    sys.exit(main())
