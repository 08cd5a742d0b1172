package emailtest

import (
	"fmt"
	"time"
)

// person is a human sender of the corpus.
type person struct {
	Name    string // display name, may need RFC 2047
	First   string // for sign-offs
	Addr    string
	Domain  string
	Company string // empty for freemail
	Zone    *time.Location
}

type org struct {
	domain, company string
	zone            *time.Location
}

var orgs = []org{
	{"acmedental.example", "Acme Dental Group", time.FixedZone("EST", -5*3600)},
	{"harborlaw.example", "Harbor Law LLP", time.FixedZone("PST", -8*3600)},
	{"freemail.example", "", time.FixedZone("CET", 3600)},
	{"webmail.example", "", time.FixedZone("JST", 9*3600)},
}

// orgSize is how many senders each org has; four orgs make 60 senders.
var orgSize = []int{20, 20, 10, 10}

var firstNames = [][2]string{ // display, ASCII slug
	{"Anna", "anna"}, {"José", "jose"}, {"Jürgen", "juergen"}, {"Françoise", "francoise"},
	{"Søren", "soren"}, {"Zoë", "zoe"}, {"Björn", "bjorn"}, {"Chloé", "chloe"},
	{"Inès", "ines"}, {"Łukasz", "lukasz"}, {"Mark", "mark"}, {"Priya", "priya"},
	{"Kenji", "kenji"}, {"Grace", "grace"}, {"Omar", "omar"}, {"Lena", "lena"},
	{"Tomás", "tomas"}, {"Sarah", "sarah"}, {"David", "david"}, {"Aoife", "aoife"},
}

var lastNames = [][2]string{
	{"Berg", "berg"}, {"Müller", "mueller"}, {"Álvarez", "alvarez"}, {"Núñez", "nunez"},
	{"O'Brien", "obrien"}, {"Østergaard", "ostergaard"}, {"Dvořák", "dvorak"}, {"Smith", "smith"},
	{"Nakamura", "nakamura"}, {"Patel", "patel"}, {"Dubois", "dubois"}, {"Kowalski", "kowalski"},
	{"Chen", "chen"}, {"García", "garcia"}, {"Lindqvist", "lindqvist"}, {"Rossi", "rossi"},
	{"Schröder", "schroeder"}, {"Walsh", "walsh"}, {"Novák", "novak"}, {"Fischer", "fischer"},
}

// Non-Latin names replace a few generated ones, so From headers need
// base64 encoded words too.
var scriptNames = map[int][3]string{ // display, first, slug
	7:  {"Ольга Петрова", "Ольга", "olga.petrova"},
	33: {"Дмитрий Иванов", "Дмитрий", "d.ivanov"},
	45: {"山田 太郎", "太郎", "taro.yamada"},
	57: {"佐藤 花子", "花子", "hanako.sato"},
}

// people returns the 60 corpus senders; the pool is the same for every seed.
func people() []person {
	var out []person
	for o, org := range orgs {
		for k := range orgSize[o] {
			i := len(out)
			f, l := firstNames[i%20], lastNames[(3*i+i/20)%20]
			p := person{
				Name:    f[0] + " " + l[0],
				First:   f[0],
				Addr:    f[1] + "." + l[1],
				Domain:  org.domain,
				Company: org.company,
				Zone:    org.zone,
			}
			if s, ok := scriptNames[i]; ok {
				p.Name, p.First, p.Addr = s[0], s[1], s[2]
			}
			if org.company == "" && k%3 == 0 {
				p.Addr += fmt.Sprint(70 + k) // freemail addresses often carry digits
			}
			p.Addr += "@" + org.domain
			out = append(out, p)
		}
	}
	return out
}

// newsletter is a List sender.
type newsletter struct {
	Name, Addr, ListID, Unsub string
}

var newsletters = []newsletter{
	{"Dental Supply Weekly", "news@dentalsupply.example", "weekly.dentalsupply.example", "https://dentalsupply.example/u"},
	{"Harbor Law Digest", "digest@lists.harborlaw.example", "digest.lists.harborlaw.example", "https://lists.harborlaw.example/leave"},
	{"CloudHost Status", "noreply@status.cloudhost.example", "incidents.status.cloudhost.example", "https://status.cloudhost.example/unsubscribe"},
	{"Growth Tips ✉", "hello@growthtips.example", "tips.growthtips.example", "https://growthtips.example/optout"},
}

var listSubjects = []string{
	"Your weekly digest #%d",
	"New in March: faster exports (issue %d)",
	"[Resolved] Elevated API error rates — incident %d",
	"🦷 %d tips for a calmer front desk",
	"Webinar invitation: client intake that scales (#%d)",
}

// lang is the language and charset family of a human mail's text.
type lang struct {
	Subjects  []string // %d gets a number when present
	Greetings []string
	Sentences []string
	Closings  []string
	Quote     string // attribution line, formatted with date and sender
}

var langEnglish = lang{
	Subjects: []string{
		"Invoice %d charged twice", "Cannot log in to the patient portal",
		"Appointment reminders not going out", "Password reset link expired",
		"Question about our plan renewal", "Export to CSV is empty",
		"Two-factor code never arrives", "Calendar sync stopped working",
		"Need to add a new user for the clinic", "Error 500 when uploading documents",
		"Billing address change", "Refund for order %d", "Slow dashboard since Monday",
		"SMS notifications delayed", "How do I merge duplicate contacts?",
		"Printer integration offline", "Contract renewal question",
		"Data retention policy", "Cancel my subscription", "Urgent: system down at front desk",
	},
	Greetings: []string{"Hi,", "Hello support team,", "Good morning,", "Dear Northwind team,", "Hi there,"},
	Sentences: []string{
		"This started yesterday afternoon and is affecting the whole team.",
		"We already tried logging out and back in, and clearing the browser cache.",
		"Could you please look into it as soon as possible?",
		"Our account number is %d, in case you need it.",
		"It worked fine last week, nothing changed on our side as far as I know.",
		"I attached what I could, let me know if you need anything else.",
		"Two of my colleagues see exactly the same thing on different computers.",
		"We have patients waiting, so a quick answer would be much appreciated.",
		"Is there a workaround we can use in the meantime?",
		"The error message just says \"something went wrong\" and nothing more.",
	},
	Closings: []string{"Thanks,", "Best regards,", "Cheers,", "Kind regards,", "Thank you!"},
	Quote:    "On %s, %s wrote:",
}

// langLatin is French and German text that fits ISO-8859-1 (no euro sign).
var langLatin = lang{
	Subjects: []string{
		"Problème de facturation - février", "Frage zur Rechnung Nr. %d",
		"Terminerinnerungen funktionieren nicht", "Accès refusé à l'espace client",
		"Größere Lizenz für unsere Praxis?",
	},
	Greetings: []string{"Bonjour,", "Hallo,", "Sehr geehrte Damen und Herren,"},
	Sentences: []string{
		"Je n'arrive pas à télécharger la facture du mois dernier.",
		"Unsere Praxis erhält seit Montag keine Erinnerungen mehr.",
		"Pouvez-vous vérifier notre compte numéro %d ?",
		"Können Sie das bitte schnell prüfen? Danke schön.",
		"Merci d'avance pour votre réponse rapide.",
	},
	Closings: []string{"Cordialement,", "Viele Grüße,", "Mit freundlichen Grüßen,"},
	Quote:    "Le %s, %s a écrit :",
}

// langEuro is German text with the euro sign that fits ISO-8859-15.
var langEuro = lang{
	Subjects: []string{
		"Doppelte Abbuchung über %d,00 €", "Rückerstattung von 49,00 € offen",
	},
	Greetings: []string{"Guten Tag,", "Hallo Support-Team,"},
	Sentences: []string{
		"Der Betrag von 249,00 € wurde zweimal abgebucht.",
		"Laut Kontoauszug fehlen uns %d,50 €, bitte prüfen Sie das.",
		"Bitte überweisen Sie die Differenz zurück.",
	},
	Closings: []string{"Viele Grüße,", "Beste Grüße,"},
	Quote:    "Am %s schrieb %s:",
}

// langSmart is text with Windows-1252's typographic characters: curly
// quotes, dashes, the euro sign.
var langSmart = lang{
	Subjects: []string{
		"“Urgent” – invoice %d charged twice (€)", "Café Rosé’s account – billing question",
	},
	Greetings: []string{"Hello,", "Hallo,"},
	Sentences: []string{
		"We were charged €%d instead of €49 – that’s not right.",
		"Wir haben „alles“ versucht, leider ohne Erfolg.",
		"The “Pay now” button does nothing… naïve question, but is it on your side?",
	},
	Closings: []string{"Thanks,", "Grüße,"},
	Quote:    "On %s, %s wrote:",
}

var langRussian = lang{
	Subjects:  []string{"Не работает вход в кабинет", "Вопрос по счёту № %d", "Срочно: не приходят СМС"},
	Greetings: []string{"Здравствуйте!", "Добрый день,"},
	Sentences: []string{
		"Не могу войти в личный кабинет, пишет «неверный пароль».",
		"Проблема началась вчера вечером.",
		"Номер договора %d.",
		"Подскажите, пожалуйста, что делать?",
	},
	Closings: []string{"С уважением,", "Спасибо,"},
	Quote:    "%s, %s написал(а):",
}

var langJapanese = lang{
	Subjects:  []string{"請求書について", "ログインできません", "予約通知が届きません"},
	Greetings: []string{"お世話になっております。", "サポートご担当者様"},
	Sentences: []string{
		"請求書の金額が二重に請求されています。",
		"昨日からログインできなくなりました。",
		"ご確認をお願いいたします。",
		"契約番号は%dです。",
	},
	Closings: []string{"よろしくお願いいたします。"},
	Quote:    "%s、%s のメッセージ:",
}

// autoReplyTexts are out-of-office bodies; %s is the return date.
var autoReplyTexts = []string{
	"I am out of the office until %s with limited access to email.\nFor urgent matters please call the front desk.",
	"Thank you for your message. I am currently on leave and will return on %s.\nYour email will not be forwarded.",
	"Je suis absente jusqu'au %s. Pour toute urgence, merci de contacter l'accueil.",
	"Ich bin bis %s nicht im Büro und habe nur eingeschränkt Zugriff auf E-Mails.",
	"This mailbox is not monitored. We have received your email and will respond within 2 business days (ref %s).",
}

var autoReplyPrefixes = []string{"Automatic reply: ", "Out of Office: ", "Abwesenheitsnotiz: ", "Réponse automatique : ", "Auto: "}
