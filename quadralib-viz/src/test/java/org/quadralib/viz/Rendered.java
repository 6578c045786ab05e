package org.quadralib.viz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.HashSet;
import java.util.Set;

import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;

import org.knowm.xchart.internal.chartpart.Chart;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/** Checks shared by the chart tests: decodable, right-sized, not blank, well-formed, labelled. */
final class Rendered {

    private Rendered() {
    }

    /** Decodes PNG bytes, checks the size and that the picture is not one flat colour; returns it. */
    static BufferedImage png(byte[] bytes, int width, int height) throws IOException {
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(bytes));
        assertNotNull(img, "not a decodable PNG");
        assertEquals(width, img.getWidth());
        assertEquals(height, img.getHeight());
        Set<Integer> colours = new HashSet<>();
        for (int y = 0; y < img.getHeight(); y += 3) {
            for (int x = 0; x < img.getWidth(); x += 3) {
                colours.add(img.getRGB(x, y));
            }
        }
        assertTrue(colours.size() > 5, "image looks blank: " + colours.size() + " colours");
        return img;
    }

    /** Renders the chart to PNG and checks it as {@link #png(byte[], int, int)}. */
    static void chartPng(Chart<?, ?> chart) throws IOException {
        png(Charts.png(chart), Charts.WIDTH, Charts.HEIGHT);
    }

    /**
     * Parses SVG bytes (without fetching the DTD the encoder declares), checks the root, that something is
     * drawn, and that the title and description hold every expected label; returns the text of both.
     */
    static String svg(byte[] bytes, String... labels) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        Document doc = f.newDocumentBuilder().parse(new ByteArrayInputStream(bytes));
        Element root = doc.getDocumentElement();
        assertEquals("svg", root.getLocalName());
        assertTrue(doc.getElementsByTagNameNS("*", "path").getLength() > 10, "the chart draws shapes");
        String text = doc.getElementsByTagNameNS("*", "title").item(0).getTextContent() + "\n"
                + doc.getElementsByTagNameNS("*", "desc").item(0).getTextContent();
        for (String l : labels) {
            assertTrue(text.contains(l), "SVG labels lack '" + l + "': " + text);
        }
        return text;
    }
}
