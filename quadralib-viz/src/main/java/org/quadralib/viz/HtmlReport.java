package org.quadralib.viz;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.knowm.xchart.internal.chartpart.Chart;
import org.quadralib.core.io.AtomicFiles;

/**
 * One self-contained HTML page: a title and the sections the caller adds in order (headings, paragraphs,
 * tables, preformatted text, charts, images). Nothing is loaded from elsewhere: charts and images are embedded
 * as base64 {@code data:} URIs (charts as SVG by default, images as PNG) and the style sheet is inline.
 *
 * <p>Charts and images are encoded when the page is rendered or written, not when added, so a chart changed
 * after {@link #chart} shows its final state. {@link #write} is atomic: if any section fails to render, no file
 * is written and an existing one is left as it was.
 *
 * <p>Paragraph text is a small subset of Markdown: blank lines separate blocks; a block whose lines all start
 * with {@code "- "} is a bullet list; {@code `code`}, {@code **bold**} and {@code *italic*} work inside a
 * line; everything else is escaped, so raw HTML shows as text.
 */
public final class HtmlReport {

    private static final String CSS = String.join("\n",
            "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;color:#222;margin:0;background:#fafafa}",
            "main{max-width:1040px;margin:0 auto;padding:24px 32px;background:#fff}",
            "h1{font-size:1.7em;border-bottom:2px solid #ddd;padding-bottom:.3em}",
            "h2{font-size:1.3em;margin-top:1.6em;border-bottom:1px solid #eee;padding-bottom:.2em}",
            "table{border-collapse:collapse;margin:1em 0;font-size:.92em}",
            "th,td{border:1px solid #ddd;padding:4px 10px;text-align:left}",
            "th{background:#f3f3f3}",
            "td.num{text-align:right;font-variant-numeric:tabular-nums}",
            "tr:nth-child(even) td{background:#fbfbfb}",
            "pre{background:#f6f8fa;padding:12px;overflow:auto;font-size:.85em;line-height:1.35}",
            "code{background:#f3f3f3;padding:0 3px;border-radius:3px}",
            "figure{margin:1.2em 0}",
            "figure img{max-width:100%;height:auto;border:1px solid #eee}",
            "figcaption{color:#555;font-size:.9em;margin-top:.3em}");
    private static final Pattern NUMBER = Pattern.compile("[-+]?[0-9][0-9.,_]*(e[-+]?[0-9]+)?\\s*(%|[A-Za-z]{1,4})?");
    private static final Pattern BOLD = Pattern.compile("\\*\\*(.+?)\\*\\*");
    private static final Pattern ITALIC = Pattern.compile("(?<![*\\w])\\*(?!\\s)(.+?)(?<!\\s)\\*(?![*\\w])");

    /** One part of the page, rendered to HTML when the page is. */
    @FunctionalInterface
    private interface Section {
        void render(Writer out) throws IOException;
    }

    private final String title;
    private final List<Section> sections = new ArrayList<>();

    /**
     * An empty page titled {@code title}.
     *
     * @throws NullPointerException if {@code title} is null
     */
    public HtmlReport(String title) {
        this.title = Objects.requireNonNull(title, "title");
    }

    /** Adds a section heading. */
    public HtmlReport heading(String text) {
        String html = "<h2>" + escape(text) + "</h2>\n";
        sections.add(out -> out.write(html));
        return this;
    }

    /** Adds text in the Markdown subset described above. */
    public HtmlReport paragraph(String markdown) {
        String html = markdown(markdown);
        sections.add(out -> out.write(html));
        return this;
    }

    /** Adds text shown as is in a fixed-width font (e.g. {@code MemoryReport.toText()}). */
    public HtmlReport preformatted(String text) {
        String html = "<pre>" + escape(text) + "</pre>\n";
        sections.add(out -> out.write(html));
        return this;
    }

    /**
     * Adds a table; the first row is the header. Cells that look like numbers (with an optional unit, e.g.
     * {@code 1.25 MiB} or {@code 93.1%}) are right-aligned.
     *
     * @throws IllegalArgumentException if there are no rows or a row's length differs from the header's
     */
    public HtmlReport table(List<List<String>> rows) {
        if (rows.isEmpty()) {
            throw new IllegalArgumentException("HtmlReport.table: no rows");
        }
        int cols = rows.get(0).size();
        StringBuilder sb = new StringBuilder("<table>\n<thead><tr>");
        for (String h : rows.get(0)) {
            sb.append("<th>").append(escape(h)).append("</th>");
        }
        sb.append("</tr></thead>\n<tbody>\n");
        for (int r = 1; r < rows.size(); r++) {
            List<String> row = rows.get(r);
            if (row.size() != cols) {
                throw new IllegalArgumentException("HtmlReport.table: row " + r + " has " + row.size() + " cells, the header has " + cols);
            }
            sb.append("<tr>");
            for (String cell : row) {
                String c = cell == null ? "" : cell;
                sb.append(NUMBER.matcher(c.trim()).matches() ? "<td class=\"num\">" : "<td>").append(escape(c)).append("</td>");
            }
            sb.append("</tr>\n");
        }
        sb.append("</tbody>\n</table>\n");
        String html = sb.toString();
        sections.add(out -> out.write(html));
        return this;
    }

    /** Adds a chart as SVG with {@code caption} under it. */
    public HtmlReport chart(String caption, Chart<?, ?> chart) {
        return chart(caption, chart, Charts.Format.SVG);
    }

    /** Adds a chart in {@code format} (SVG scales, PNG is smaller for dense charts) with {@code caption} under it. */
    public HtmlReport chart(String caption, Chart<?, ?> chart, Charts.Format format) {
        Objects.requireNonNull(chart, "chart");
        Objects.requireNonNull(format, "format");
        sections.add(out -> figure(out, caption, chart.getTitle(),
                format == Charts.Format.SVG ? "image/svg+xml" : "image/png",
                format == Charts.Format.SVG ? Charts.svg(chart) : Charts.png(chart)));
        return this;
    }

    /** Adds an image (e.g. {@link ActivationMaps#grid}) as PNG with {@code caption} under it. */
    public HtmlReport image(String caption, BufferedImage image) {
        Objects.requireNonNull(image, "image");
        sections.add(out -> figure(out, caption, caption, "image/png", Images.png(image)));
        return this;
    }

    private static void figure(Writer out, String caption, String alt, String mime, byte[] bytes) throws IOException {
        out.write("<figure><img alt=\"" + escape(alt) + "\" src=\"data:" + mime + ";base64,");
        out.write(Base64.getEncoder().encodeToString(bytes));
        out.write("\">");
        if (caption != null && !caption.isEmpty()) {
            out.write("<figcaption>" + escape(caption) + "</figcaption>");
        }
        out.write("</figure>\n");
    }

    /**
     * The page as a string.
     *
     * @throws IOException if a chart or image fails to encode
     */
    public String render() throws IOException {
        StringWriter w = new StringWriter();
        renderTo(w);
        return w.toString();
    }

    /**
     * Writes the page to {@code file} (UTF-8) atomically, creating missing folders.
     *
     * @throws IOException if a section fails to render or the file cannot be written; then no file is created
     *     and an existing one is unchanged
     */
    public void write(Path file) throws IOException {
        AtomicFiles.writeAtomically(file, out -> {
            Writer w = new OutputStreamWriter(out, StandardCharsets.UTF_8);
            renderTo(w);
            w.flush();
        });
    }

    private void renderTo(Writer out) throws IOException {
        out.write("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        out.write("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        out.write("<title>" + escape(title) + "</title>\n<style>\n" + CSS + "\n</style>\n</head>\n<body>\n<main>\n");
        out.write("<h1>" + escape(title) + "</h1>\n");
        for (Section s : sections) {
            s.render(out);
        }
        out.write("</main>\n</body>\n</html>\n");
    }

    /** The Markdown subset: paragraphs, {@code "- "} bullet lists, and inline code, bold and italic. */
    static String markdown(String text) {
        StringBuilder sb = new StringBuilder();
        for (String block : text.strip().split("\\R\\s*\\R")) {
            String[] lines = block.strip().split("\\R");
            boolean list = true;
            for (String l : lines) {
                list &= l.strip().startsWith("- ");
            }
            if (list) {
                sb.append("<ul>\n");
                for (String l : lines) {
                    sb.append("<li>").append(inline(l.strip().substring(2))).append("</li>\n");
                }
                sb.append("</ul>\n");
            } else {
                StringBuilder p = new StringBuilder();
                for (String l : lines) {
                    p.append(p.length() == 0 ? "" : " ").append(l.strip());
                }
                sb.append("<p>").append(inline(p.toString())).append("</p>\n");
            }
        }
        return sb.toString();
    }

    private static String inline(String s) {
        // Split on backticks first so that asterisks inside code stay literal.
        String[] parts = s.split("`", -1);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < parts.length; i++) {
            boolean code = i % 2 == 1 && i < parts.length - 1;
            if (code) {
                sb.append("<code>").append(escape(parts[i])).append("</code>");
            } else {
                String t = escape(parts[i]);
                t = BOLD.matcher(t).replaceAll(m -> "<strong>" + Matcher.quoteReplacement(m.group(1)) + "</strong>");
                t = ITALIC.matcher(t).replaceAll(m -> "<em>" + Matcher.quoteReplacement(m.group(1)) + "</em>");
                sb.append(i % 2 == 1 ? "`" : "").append(t);
            }
        }
        return sb.toString();
    }

    /** Escapes {@code & < > " '} for HTML text and attribute values. */
    static String escape(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }
}
